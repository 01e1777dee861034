import { randomBytes } from 'node:crypto';

import * as oidc from 'openid-client';

import type { Core } from '../../src/core.js';
import type { Role } from '../../src/orgs/roles.js';
import type { RunningTessera } from './tessera.js';
import { UserAgent, textOf } from './user-agent.js';

const unique = () => randomBytes(4).toString('hex');

export const CALLBACK = 'https://myapp.example.com/auth/callback';
export const LOGOUT_URL = 'https://myapp.example.com';

/** A person with a password, a member of one organization per entry in `roles` (seed 000's users). */
export async function givenPerson(core: Core, options: { roles?: Role[]; name?: string; orgNames?: string[] } = {}) {
  const password = `correct horse ${unique()}`;
  const email = `ada-${unique()}@example.com`;
  const user = await core.users.create({ email, password, name: options.name ?? 'Ada Lovelace', emailVerified: true, actor: 'test' });
  const orgs = [];
  for (const [index, role] of (options.roles ?? ['editor']).entries()) {
    const org = await core.organizations.create({ name: options.orgNames?.[index] ?? `Acme ${unique()}`, actor: 'test' });
    await core.memberships.add({ orgId: org.id, userId: user.id, role, actor: 'test' });
    orgs.push(org);
  }
  return { user, email, password, orgs, org: orgs[0]! };
}

/** A registered application (seed 000 "Step 1"): web is confidential, spa and native are public. */
export async function givenApplication(
  core: Core,
  options: { type?: 'web' | 'spa' | 'native'; orgId?: string; redirectUris?: string[]; thirdParty?: boolean } = {},
) {
  const orgId = options.orgId ?? (await core.organizations.create({ name: `Vendor ${unique()}`, actor: 'test' })).id;
  const { client, secret } = await core.clients.create({
    orgId,
    name: options.type === 'spa' ? 'My SPA' : 'My Catalio Integration',
    type: options.type ?? 'web',
    redirectUris: options.redirectUris ?? [CALLBACK],
    postLogoutRedirectUris: [LOGOUT_URL],
    firstParty: !options.thirdParty,
    actor: 'test',
  });
  return { client, clientId: client.id, clientSecret: secret ?? undefined };
}

/** An API whose tokens carry `permissions` (seed 000's requirements permissions). */
export async function givenApiWithPermissions(core: Core, permissions = ['requirements:read', 'requirements:create', 'requirements:approve', 'users:invite']) {
  const api = await core.apis.create({ identifier: `https://api-${unique()}.example.com`, name: 'Catalio API', actor: 'test' });
  await core.permissions.defineForApi(api.id, permissions);
  return api;
}

/** openid-client configured from Tessera's discovery document, as an application would do. */
export async function relyingParty(issuer: string, app: { clientId: string; clientSecret?: string }) {
  const auth = app.clientSecret ? oidc.ClientSecretPost(app.clientSecret) : oidc.None();
  return oidc.discovery(new URL(issuer), app.clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

/** What the application keeps between the redirect and the callback. */
export interface PendingAuthorization {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Builds the seed's authorization URL (with PKCE S256 and a nonce) through openid-client. */
export async function authorizationRequest(config: oidc.Configuration, params: Record<string, string> = {}): Promise<PendingAuthorization> {
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...params,
  });
  return { url, state, nonce, codeVerifier };
}

/** Redeems the code on `callback` through openid-client, checking state, nonce and PKCE. */
export function redeem(config: oidc.Configuration, callback: URL, pending: PendingAuthorization) {
  return oidc.authorizationCodeGrant(config, callback, { expectedState: pending.state, expectedNonce: pending.nonce, pkceCodeVerifier: pending.codeVerifier });
}

export { oidc };

/**
 * The common first act of a sign-in story: a person, a confidential web application, the
 * authorization request, and the login page filled in by a browser-like agent. Returns the
 * callback the person landed on, not yet redeemed.
 */
export async function givenPersonSignedIn(tessera: RunningTessera) {
  const ada = await givenPerson(tessera.core);
  const app = await givenApplication(tessera.core);
  const rp = await relyingParty(tessera.url, app);
  const pending = await authorizationRequest(rp);
  const browser = new UserAgent(tessera.url);
  const step = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
  if (step.kind !== 'left') throw new Error(textOf(step));
  return { ada, app, rp, pending, browser, callback: step.location };
}
