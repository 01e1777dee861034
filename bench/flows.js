// Browser-less drivers for issue 3's flows: the authorization-code + PKCE flow through the
// server-rendered login pages (forms filled generically: email, password, hidden fields,
// organization choice, consent), and refresh-token rotation. Used by features.js to probe and
// by flow-worker.js to load.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const attr = (tag, name) => new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)?.slice(2).find((v) => v !== undefined);
const unescape = (value) => value?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** The first form of a page, filled in as a person would: credentials, first choice, submit. */
function fillForm(html, pageUrl, login) {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on ${new URL(pageUrl).pathname}`);
  const tag = form[0].slice(0, form[0].indexOf('>') + 1);
  const fields = new URLSearchParams();
  const chosen = new Set();
  for (const input of form[1].matchAll(/<(input|button)\b[^>]*>/gi)) {
    const name = unescape(attr(input[0], 'name'));
    if (!name) continue;
    const type = (attr(input[0], 'type') ?? 'text').toLowerCase();
    const value = unescape(attr(input[0], 'value')) ?? '';
    if (type === 'password') fields.set(name, login.password);
    else if (type === 'email' || /email|user|login/i.test(name)) fields.set(name, login.email);
    else if (type === 'radio') {
      // Organization choice: the bench's organization when offered, else the first option.
      if (!chosen.has(name) || value === login.orgId) fields.set(name, value);
      chosen.add(name);
    } else if (type === 'submit' || input[1].toLowerCase() === 'button') {
      if (!chosen.has('submit')) fields.set(name, value);
      chosen.add('submit');
    } else if (type !== 'checkbox') fields.set(name, value);
  }
  for (const select of form[1].matchAll(/<select\b[^>]*name\s*=\s*["']?([^"'\s>]+)[^>]*>([\s\S]*?)<\/select>/gi)) {
    const options = [...select[2].matchAll(/<option\b[^>]*value\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]);
    fields.set(select[1], options.includes(login.orgId) ? login.orgId : options[0] ?? '');
  }
  return { action: new URL(unescape(attr(tag, 'action')) ?? pageUrl, pageUrl).href, method: (attr(tag, 'method') ?? 'GET').toUpperCase(), fields };
}

/** Runs /authorize → login (argon2id) → organization/consent → code → token. */
export async function loginFlow(login) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');
  const query = new URLSearchParams({
    response_type: 'code', client_id: login.clientId, redirect_uri: login.redirectUri, scope: 'openid profile email offline_access',
    state, code_challenge: challenge, code_challenge_method: 'S256', organization: login.orgId,
  });
  const cookies = new Map();
  let request = { url: `${login.base}/authorize?${query}`, method: 'GET', body: undefined };
  let code;
  for (let hop = 0; hop < 20 && !code; hop += 1) {
    const headers = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (request.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    if (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('location'), request.url);
      await response.arrayBuffer();
      if (next.href.startsWith(login.redirectUri)) {
        if (next.searchParams.get('state') !== state) throw new Error('state not echoed');
        code = next.searchParams.get('code');
        if (!code) throw new Error(`redirected back with ${next.searchParams.get('error') ?? 'no code'}`);
      } else request = { url: next.href, method: 'GET', body: undefined };
    } else if (response.ok && (response.headers.get('content-type') ?? '').includes('html')) {
      const form = fillForm(await response.text(), request.url, login);
      request = form.method === 'POST' ? { url: form.action, method: 'POST', body: form.fields.toString() } : { url: `${form.action}?${form.fields}`, method: 'GET', body: undefined };
    } else throw new Error(`${request.method} ${new URL(request.url).pathname} answered ${response.status}`);
  }
  if (!code) throw new Error('no code after 20 steps');
  return token(login, { grant_type: 'authorization_code', code, redirect_uri: login.redirectUri, code_verifier: verifier });
}

/** One refresh: the rotated refresh token replaces the presented one. */
export async function refresh(login, refreshToken) {
  return token(login, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

// Token requests go through node:http with kept-alive sockets, not fetch: a refresh through
// fetch cost the load generator ≈ 1.1 ms of CPU, as much as the server's, and the generator
// shares its core with Postgres and Redis, so it held the measured rate down.
const agent = new Agent({ keepAlive: true });

async function token(login, params) {
  const { status, text } = await post(`${login.base}/oauth/token`, new URLSearchParams(params).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basic(login.clientId, login.clientSecret),
  });
  let body = {};
  try {
    body = JSON.parse(text);
  } catch {
    // reported below by status
  }
  if (status !== 200) throw new Error(`token endpoint answered ${status} ${body.error ?? ''}`);
  return body;
}

function post(url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
