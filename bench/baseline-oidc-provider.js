// The bare baseline: oidc-provider as its README runs it (provider.listen), configured as close
// to Tessera's token path as it allows: in-memory adapter, one static client with a plain-text
// secret, RS256 JWT access tokens (same 2048-bit key size) carrying the same claims
// (org/role through extraTokenClaims), resource indicators with one API.
// Environment: PORT, BENCH_JWK (private JWK with kid), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET,
// BENCH_AUDIENCE, BENCH_SCOPES.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const jwk = JSON.parse(process.env.BENCH_JWK);
const audience = process.env.BENCH_AUDIENCE;
const scopes = process.env.BENCH_SCOPES ?? '';
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.BENCH_CLIENT_ID,
      client_secret: process.env.BENCH_CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-not-secret'] },
  routes: { token: '/oauth/token', jwks: '/.well-known/jwks.json' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        audience,
        scope: scopes,
        accessTokenTTL: 86400,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256', kid: jwk.kid } },
      }),
    },
  },
  ttl: { ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 86400 },
  extraTokenClaims(_ctx, token) {
    if (token.kind === 'ClientCredentials') return { org: 'org_bench', role: 'editor' };
    return undefined;
  },
  formats: {
    customizers: {
      jwt(_ctx, _token, jwt) {
        jwt.payload.scope ??= '';
      },
    },
  },
});

// oidc-provider reads only form bodies. Auth0-style clients send JSON, so the JSON rounds get
// the smallest possible translation in front (parse, hand over as an already-parsed body), the
// same contract Tessera's shim uses; form requests pass straight through.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.is('application/json')) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    ctx.req.headers['content-type'] = 'application/x-www-form-urlencoded';
    ctx.req.body = body;
  }
  return next();
});

// A clean exit on SIGTERM, so --cpu-prof (BENCH_CPU_PROF) writes its profile.
process.on('SIGTERM', () => process.exit(0));

const warn = console.warn;
console.warn = () => {}; // the one-time "upstream body parser" notice is expected here
provider.listen(port, '127.0.0.1', () => {
  console.warn = warn;
  process.stdout.write('ready\n');
});
