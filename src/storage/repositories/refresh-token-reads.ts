import { runStatement, type Db } from '../db.js';
import type { GrantActorRow } from './grant-organizations.js';

/**
 * Everything oidc-provider's refresh grant reads, in one round trip: the refresh token, the grant
 * it belongs to, and who that grant acts as (the same person, organization and membership
 * findGrantActor reads). Measured on this project's bench machine, each Postgres round trip of a
 * refresh costs ≈ 0.4 ms of server CPU; the grant and the actor used to be two more of them.
 * Reads only: each table is still written by its own repository.
 */
export const findRefreshTokenContext = async (db: Db, id: string, now: Date): Promise<RefreshTokenContextRow | undefined> =>
  (await runStatement<RefreshTokenContextRow>(db, FIND_REFRESH_TOKEN_CONTEXT, [id, now])).rows[0];

// Expiry filters as in findPayload and findGrantActor; the actor columns are null when the
// token names no person (or one since deleted).
const FIND_REFRESH_TOKEN_CONTEXT = `select rt.payload, rt.consumed_at, rt.grant_id,
    g.payload as grant_payload,
    u.id, u.email, u.name, u.email_verified, u.created_at, u.suspended_at, go.org_id, m.role
  from oidc_payloads as rt
  left join oidc_payloads as g on g.model = 'Grant' and g.id = rt.grant_id and (g.expires_at is null or g.expires_at > $2)
  left join users as u on u.id = rt.payload ->> 'accountId'
  left join grant_organizations as go on go.grant_id = rt.grant_id and go.expires_at > $2
  left join memberships as m on m.org_id = go.org_id and m.user_id = u.id
  where rt.model = 'RefreshToken' and rt.id = $1 and (rt.expires_at is null or rt.expires_at > $2)`;

export type RefreshTokenContextRow = {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
  grant_id: string | null;
  grant_payload: Record<string, unknown> | null;
} & ({ [K in keyof GrantActorRow]: GrantActorRow[K] } | { [K in keyof GrantActorRow]: null });
