import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy } from 'oidc-provider';

import type { Clients } from '../credentials/clients.js';
import { CLAIMS, createFindAccount, type AccountDeps } from './account.js';
import { createLoadExistingGrant } from './first-party-grant.js';
import { errorPage, loggedOutPage, logoutPage } from './interactions/views.js';
import { TemporarilyUnavailable } from './outage.js';

export interface PeopleConfigurationDeps extends AccountDeps {
  clients: Pick<Clients, 'find'>;
  /** Rolling lifetime of a refresh token (seconds): each rotation starts a new one. */
  refreshTokenTtl: number;
  /** Absolute lifetime of a refresh-token family from its first issue (seconds). */
  refreshTokenMaxTtl: number;
}

/** Authorization codes are redeemed by a backend a moment after the redirect (RFC 6749 §4.1.2: "a maximum lifetime of 10 minutes is RECOMMENDED"; we keep oidc-provider's 60 s, the issue's bound). */
const CODE_TTL = 60;

/**
 * The parts of oidc-provider's configuration that let people sign in (issue 3), each with
 * the reason it differs from the default. configuration.ts merges them in.
 */
export function peopleConfiguration(deps: PeopleConfigurationDeps) {
  const { Check, base } = interactionPolicy;
  const policy = base();

  // A session whose account findAccount refuses (suspended, deleted) must sign in again:
  // oidc-provider alone would consider the session's accountId enough.
  policy.get('login')!.checks.add(
    new Check('account_unavailable', 'the signed-in account can no longer sign in', 'login_required', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  // Every grant acts for one organization: ask (or decide) when the grant has none yet, when the
  // person left it, or when the request names another one with `organization`.
  policy.get('consent')!.checks.add(
    new Check('organization_required', 'an organization must be chosen', 'interaction_required', async (ctx) => {
      const grantId = ctx.oidc.grant?.jti;
      const accountId = ctx.oidc.account?.accountId;
      const orgId = grantId ? await deps.grantOrganizations.find(grantId) : undefined;
      if (!orgId || !accountId) return Check.REQUEST_PROMPT;
      const requested = ctx.oidc.params?.organization;
      if (typeof requested === 'string' && requested !== orgId) return Check.REQUEST_PROMPT;
      return (await deps.memberships.find(orgId, accountId)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  // Tessera adds prompt=consent to keep offline_access (authorize-params.ts), and a first-party
  // application is never shown a consent page: for it the consent step was a silent round trip.
  // Its prompt is settled by the grant loadExistingGrant makes; the checks after this one still
  // send it to the consent step when a scope is missing or an organization must be chosen.
  const consent = policy.get('consent')!;
  consent.checks.remove('consent_prompt');
  consent.checks.add(
    new Check('consent_prompt', 'consent prompt was not resolved', 'consent_required', async (ctx) => {
      if (!ctx.oidc.prompts.has('consent') || !ctx.oidc.promptPending('consent')) return Check.NO_NEED_TO_PROMPT;
      return (await deps.clients.find(ctx.oidc.client!.clientId))?.firstParty ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
    0,
  );

  return {
    findAccount: createFindAccount(deps),
    loadExistingGrant: createLoadExistingGrant(deps),
    claims: CLAIMS,
    // Auth0 puts profile and email claims in the ID token of the code flow; applications moving
    // from it read them there (OIDC Core §5.4 allows either; oidc-provider defaults to userinfo only).
    conformIdTokenClaims: false,
    // `organization` selects the organization at /authorize (Auth0's parameter name).
    extraParams: ['organization'],
    interactions: {
      policy,
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    pkce: {
      // RFC 9700 §2.1.1: required for public clients; a challenge sent by a confidential client is
      // verified too (oidc-provider always does). Only S256 exists in oidc-provider 9: `plain` is refused.
      required: (_ctx: KoaContextWithOIDC, client: { clientAuthMethod?: string }) => client.clientAuthMethod === 'none',
    },
    // Every use of a refresh token, for every client, returns a new one; the old one is consumed,
    // and presenting it again revokes the whole grant (adapters' consume + onReplay).
    rotateRefreshToken: true,
    // Issued when a client allowed the refresh_token grant asks for offline_access; the
    // authorize-params middleware makes sure offline_access survives without prompt=consent.
    issueRefreshToken: async (_ctx: KoaContextWithOIDC, client: { grantTypeAllowed(type: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      AuthorizationCode: CODE_TTL,
      // Rolling window, never past the family's absolute maximum (iiat is the family's first issue).
      RefreshToken: (_ctx: KoaContextWithOIDC, token: { totalLifetime(): number }) =>
        Math.max(1, Math.min(deps.refreshTokenTtl, deps.refreshTokenMaxTtl - token.totalLifetime())),
      // Grants carry refresh tokens: they must outlive the longest family.
      Grant: deps.refreshTokenMaxTtl,
      Session: 14 * 24 * 3600,
      Interaction: 3600,
      IdToken: 3600,
    },
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error?: Error) {
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      if (error instanceof TemporarilyUnavailable) {
        // A dependency outage: 503 (status set by oidc-provider) with a page the person can retry.
        ctx.state.unavailable = error.dependency;
        ctx.body = errorPage({ title: 'Try again shortly', message: 'The service is briefly unavailable (temporarily_unavailable). Try again in a moment.' });
        return;
      }
      ctx.body = errorPage({ title: 'Sign-in error', message: `${out.error}: ${out.error_description ?? 'the request could not be completed'}` });
    },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx: KoaContextWithOIDC, form: string) {
        ctx.type = 'html';
        ctx.body = logoutPage({ form, clientName: ctx.oidc.client?.clientName });
      },
      async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
        ctx.type = 'html';
        ctx.body = loggedOutPage();
      },
    },
  } satisfies Partial<Configuration> & { rpInitiatedLogout: unknown };
}
