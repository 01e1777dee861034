// The two servers Tessera is compared with, started the same way by run.js, gc-probe.mjs and
// instructions.js: the bare oidc-provider baseline and the @node-oauth/oauth2-server peer, both
// signing with one fresh RS256 key and accepting the credential Tessera was seeded with.
import { exportJWK, generateKeyPair } from 'jose';

import { startServer } from './lib.js';
import { AUDIENCE, SCOPES } from './tessera.js';

const here = (file) => new URL(file, import.meta.url).pathname;

/** A fresh 2048-bit RS256 private JWK with a kid: Tessera's key size and algorithm. */
export async function peerSigningJwk() {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
}

const scripts = { baseline: 'baseline-oidc-provider.js', peer: 'peer-oauth2-server.js' };

/**
 * Starts `which` ('baseline' or 'peer') on `port` for Tessera's seeded credential `seed`.
 * `flags` are Node flags before the script; `options` go to startServer (log, wrap, readyMs, env).
 * Resolves with the server and its `url`.
 */
export async function startPeerServer(which, { port, jwk, seed, flags = [], ...options }) {
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port), BENCH_JWK: JSON.stringify(jwk), BENCH_CLIENT_ID: seed.clientId, BENCH_CLIENT_SECRET: seed.clientSecret,
    BENCH_AUDIENCE: AUDIENCE, BENCH_SCOPES: SCOPES.join(' '), ...options.env,
  };
  const server = await startServer(which, [...flags, here(scripts[which])], {
    ...options,
    env,
    ready: async () => (await fetch(`${url}/.well-known/jwks.json`)).ok,
  });
  return { ...server, url };
}
