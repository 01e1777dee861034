# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

# Runtime stage: compiled code and production dependencies only, as an unprivileged user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 DATA_DIR=/var/lib/tessera/data KEYS_DIR=/var/lib/tessera/keys
WORKDIR /app
RUN groupadd --system tessera && useradd --system --gid tessera --home /var/lib/tessera tessera \
  && mkdir -p /var/lib/tessera && chown tessera:tessera /var/lib/tessera
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY bin ./bin
USER tessera
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# An 8 MiB semi-space (Node 24 grows the young generation to 64 MiB per semi-space) keeps the
# server under 250 MB at no measurable CPU cost per request — the same flag as `npm start`.
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]
