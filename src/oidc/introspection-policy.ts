import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Clients } from '../credentials/clients.js';
import type { GrantOrganizations } from './grant-organizations.js';
import { isMachineCredential } from './introspection.js';
import { toOidcError } from './outage.js';

/**
 * Who may introspect the tokens oidc-provider answers for (refresh tokens and the opaque access
 * tokens of /userinfo; JWTs and API keys are answered by introspection.ts). oidc-provider's
 * default lets any confidential client introspect any token, which would tell one organization
 * about another's people. The rule is the one Tessera applies to its JWTs: the client the token
 * was issued to, or a machine credential of the organization the token acts for.
 */
export function createIntrospectionPolicy(deps: { clients: Pick<Clients, 'find'>; grantOrganizations: Pick<GrantOrganizations, 'find'> }) {
  return async function allowedPolicy(_ctx: KoaContextWithOIDC, caller: { clientId: string }, token: { clientId?: string; grantId?: string }) {
    if (token.clientId === caller.clientId) return true;
    try {
      const credential = await deps.clients.find(caller.clientId);
      if (!isMachineCredential(credential)) return false;
      const actingFor = token.grantId ? await deps.grantOrganizations.find(token.grantId) : undefined;
      return actingFor !== undefined && actingFor === credential.orgId;
    } catch (error) {
      throw toOidcError(error);
    }
  };
}
