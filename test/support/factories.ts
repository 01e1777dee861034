import { randomBytes } from 'node:crypto';

import type { Core } from '../../src/core.js';
import type { Role } from '../../src/orgs/roles.js';

const unique = () => randomBytes(4).toString('hex');

/** An API, an organization and a machine credential: what seed 001's admin sets up first. */
export async function givenMachineCredential(core: Core, options: { role?: Role; tokenLifetimeSeconds?: number; scopes?: string[] } = {}) {
  const api = await core.apis.create({
    identifier: `https://api-${unique()}.example.com`,
    name: 'Example API',
    tokenLifetimeSeconds: options.tokenLifetimeSeconds,
    scopes: options.scopes,
    actor: 'test',
  });
  const org = await core.organizations.create({ name: `Acme ${unique()}`, actor: 'test' });
  const { client, secret } = await core.clients.create({ orgId: org.id, name: 'CI/CD Pipeline', type: 'm2m', role: options.role ?? 'editor', actor: 'test' });
  return { api, org, client, clientId: client.id, clientSecret: secret! };
}
