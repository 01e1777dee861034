import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

import type { Clients } from '../credentials/clients.js';
import type { Memberships } from '../orgs/memberships.js';
import type { GrantOrganizations } from './grant-organizations.js';
import { decideOrganization } from './interactions/organization.js';

/** Claims a grant never lists (oidc-provider's consent check leaves them out too). */
const IMPLICIT_CLAIMS = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

export interface FirstPartyGrantDeps {
  clients: Pick<Clients, 'find'>;
  memberships: Pick<Memberships, 'listForUser'>;
  grantOrganizations: Pick<GrantOrganizations, 'record'>;
}

/**
 * oidc-provider's `loadExistingGrant`: the grant this sign-in continues, else — for a first-party
 * application whose organization is settled without asking (the `organization` parameter, or
 * the person's only organization) — a grant for everything it asked, made here. First-party
 * applications are never shown a consent page, so this spares the browser the consent step's
 * two extra redirects. Third-party clients, a choice between organizations and a refused
 * organization still go through the consent step (interactions/router.ts), which decides them.
 */
export function createLoadExistingGrant(deps: FirstPartyGrantDeps) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { oidc } = ctx;
    const clientId = oidc.client!.clientId;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
    if (grantId) {
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant || oidc.result?.consent) return grant;
    }

    const accountId = oidc.account?.accountId;
    if (!accountId || oidc.params?.authorization_details) return undefined;
    if (!(await deps.clients.find(clientId))?.firstParty) return undefined;
    const options = await deps.memberships.listForUser(accountId);
    const requested = typeof oidc.params?.organization === 'string' ? oidc.params.organization : undefined;
    const decision = decideOrganization({ options, requested });
    if (decision.kind !== 'chosen') return undefined;

    // What the consent step would have granted: the scopes and claims oidc-provider's consent
    // checks find missing from an empty grant.
    const grant = new oidc.provider.Grant({ accountId, clientId });
    const scopes = [...oidc.requestParamOIDCScopes];
    if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
    const claims = [...oidc.requestParamClaims].filter((claim) => !IMPLICIT_CLAIMS.has(claim));
    if (claims.length > 0) grant.addOIDCClaims(claims);
    for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers ?? {})) {
      const granted = [...oidc.requestParamScopes].filter((scope) => resourceServer.scopes.has(scope));
      if (granted.length > 0) grant.addResourceScope(indicator, granted.join(' '));
    }
    const id = await grant.save();
    await deps.grantOrganizations.record(id, accountId, decision.option.orgId);
    return grant;
  };
}
