// The peer: @node-oauth/oauth2-server on node:http with an in-memory model, signing the same
// claims as Tessera with jose (RS256, same key size and kid). It is what a team writing its own
// small token server would get. Environment: as baseline-oidc-provider.js.
import { createServer } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import OAuth2Server from '@node-oauth/oauth2-server';
import { SignJWT, importJWK, exportJWK } from 'jose';

const { Request, Response } = OAuth2Server;
const port = Number(process.env.PORT);
const jwk = JSON.parse(process.env.BENCH_JWK);
const audience = process.env.BENCH_AUDIENCE;
const issuer = `http://127.0.0.1:${port}`;
const key = await importJWK(jwk, 'RS256');
const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
const jwksBody = JSON.stringify({ keys: [publicJwk] });
void exportJWK;

const client = { id: process.env.BENCH_CLIENT_ID, secret: Buffer.from(process.env.BENCH_CLIENT_SECRET), grants: ['client_credentials'], accessTokenLifetime: 86400 };

const model = {
  async getClient(clientId, clientSecret) {
    if (clientId !== client.id || typeof clientSecret !== 'string') return false;
    const presented = Buffer.from(clientSecret);
    return presented.length === client.secret.length && timingSafeEqual(presented, client.secret) ? client : false;
  },
  async getUserFromClient() {
    return { id: client.id };
  },
  async validateScope(_user, _client, scope) {
    return scope ?? [];
  },
  async generateAccessToken(c, _user, scope) {
    return new SignJWT({ client_id: c.id, scope: (scope ?? []).join(' '), org: 'org_bench', role: 'editor' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })
      .setIssuer(issuer)
      .setSubject(c.id)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('24h')
      .setJti(randomUUID())
      .sign(key);
  },
  // A JWT needs no storage; the in-memory model keeps nothing.
  async saveToken(token, c, user) {
    return { ...token, client: c, user };
  },
};

const oauth = new OAuth2Server({ model, requireClientAuthentication: { client_credentials: true } });

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  // JSON bodies are translated to the form the library insists on, like Tessera's shim does.
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    req.headers['content-type'] = 'application/x-www-form-urlencoded';
    return JSON.parse(text);
  }
  return Object.fromEntries(new URLSearchParams(text));
}

createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(jwksBody);
      return;
    }
    if (req.method !== 'POST' || req.url !== '/oauth/token') {
      res.writeHead(404).end();
      return;
    }
    const body = await readBody(req);
    const request = new Request({ method: req.method, headers: req.headers, query: {}, body });
    const response = new Response(res);
    const token = await oauth.token(request, response);
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ access_token: token.accessToken, token_type: 'Bearer', expires_in: 86400, scope: (token.scope ?? []).join(' ') }));
  } catch (error) {
    const status = error.code ?? 500;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.name ?? 'server_error', error_description: error.message }));
  }
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
