import { runStatement, statement, type Db } from '../db.js';
import { GRANT_ACTOR_COLUMNS, grantActorJoins, type GrantActorRow } from './grant-organizations.js';

/**
 * Everything oidc-provider's refresh grant reads, in one round trip: the refresh token, the grant
 * it belongs to, and who that grant acts as (the same person, organization and membership
 * findGrantActor reads). Measured on this project's bench machine, each Postgres round trip of a
 * refresh costs ≈ 0.4 ms of server CPU; the grant and the actor used to be two more of them.
 * Reads only: each table is still written by its own repository.
 */
export const findRefreshTokenContext = async (db: Db, id: string, now: Date): Promise<RefreshTokenContextRow | undefined> =>
  (await runStatement<RefreshTokenContextRow>(db, FIND_REFRESH_TOKEN_CONTEXT, [id, now])).rows[0];

// The token's expiry filter as in findPayload; the person as findGrantActor reads them (their
// columns are null when the token names nobody, or somebody since deleted).
const FIND_REFRESH_TOKEN_CONTEXT = statement('refresh_token_context_find', `select rt.payload, rt.consumed_at, rt.grant_id, grant_row.payload as grant_payload, ${GRANT_ACTOR_COLUMNS}
  from oidc_payloads as rt
  left join oidc_payloads as grant_row on grant_row.model = 'Grant' and grant_row.id = rt.grant_id
    and (grant_row.expires_at is null or grant_row.expires_at > $2)
  left join users on users.id = rt.payload ->> 'accountId' ${grantActorJoins('rt.grant_id', '$2')}
  where rt.model = 'RefreshToken' and rt.id = $1 and (rt.expires_at is null or rt.expires_at > $2)`);

export type RefreshTokenContextRow = {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
  grant_id: string | null;
  grant_payload: Record<string, unknown> | null;
} & (GrantActorRow | { [K in keyof GrantActorRow]: null });
