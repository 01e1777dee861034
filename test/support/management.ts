import { randomBytes } from 'node:crypto';

import { sql } from 'kysely';

import type { Core } from '../../src/core.js';
import type { Role } from '../../src/orgs/roles.js';
import { basicAuth, postForm, postJson } from './oauth.js';
import type { RunningTessera } from './tessera.js';

const unique = () => randomBytes(4).toString('hex');

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { data?: Array<Record<string, unknown>>; errors?: Array<{ field: string; message: string }> };
  text: string;
}

/** A management-API client holding one bearer (a JWT or an API key), as curl would send it. */
export function managementClient(server: RunningTessera, bearer: string | undefined, headers: Record<string, string> = {}) {
  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Answer['body'] = {};
    try {
      parsed = text ? (JSON.parse(text) as Answer['body']) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
  };
}

export type ManagementClient = ReturnType<typeof managementClient>;

/** A new organization, as `tessera org create` would make it. */
export const givenOrganization = (core: Core) => core.organizations.create({ name: `Org ${unique()}`, actor: 'test' });

/** client_credentials for the management API's audience (seed 001's curl, JSON body). */
export async function managementToken(server: RunningTessera, clientId: string, clientSecret: string): Promise<string> {
  const response = await postJson(`${server.url}/oauth/token`, {
    client_id: clientId,
    client_secret: clientSecret,
    audience: `${server.url}/api/v1`,
    grant_type: 'client_credentials',
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

/**
 * Someone acting in `orgId` with `role` through a machine credential (created the way the
 * operator's CLI would): its credential, a management token and a client holding that token.
 */
export async function givenCaller(server: RunningTessera, orgId: string, role: Role) {
  const { client, secret } = await server.core.clients.create({ orgId, name: `${role} caller`, type: 'm2m', role, actor: 'test' });
  const token = await managementToken(server, client.id, secret!);
  return { clientId: client.id, clientSecret: secret!, token, api: managementClient(server, token) };
}

export type Caller = Awaited<ReturnType<typeof givenCaller>>;

/** An admin, an editor, a contributor and a viewer of one new organization. */
export async function givenOrganizationWithTeam(server: RunningTessera) {
  const org = await givenOrganization(server.core);
  const [admin, editor, contributor, viewer] = await Promise.all(
    (['admin', 'editor', 'contributor', 'viewer'] as const).map((role) => givenCaller(server, org.id, role)),
  );
  return { org, admin: admin!, editor: editor!, contributor: contributor!, viewer: viewer! };
}

/** Posts to /oauth/introspect as a machine credential (HTTP Basic, RFC 7662 form body). */
export function introspect(server: RunningTessera, caller: { clientId: string; clientSecret: string }, token: string) {
  return postForm(`${server.url}/oauth/introspect`, { token }, { authorization: basicAuth(caller.clientId, caller.clientSecret) });
}

/** RFC 8693: an API key exchanged for a JWT at the token endpoint. */
export function exchangeApiKey(server: RunningTessera, key: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return postForm(
    `${server.url}/oauth/token`,
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: key,
      subject_token_type: 'urn:tessera:params:oauth:token-type:api-key',
      ...extra,
    },
    headers,
  );
}

/** Moves a key's expiry into the past, as time passing would, and tells every instance. */
export async function expireApiKey(core: Core, id: string) {
  await sql`update api_keys set expires_at = now() - interval '1 second' where id = ${id}`.execute(core.storage.db);
  await core.changes.publish('api_key', id);
}

/** Every audit event of an organization, read straight from the store (oldest first). */
export async function auditEventsOf(core: Core, orgId: string) {
  return core.storage.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
}
