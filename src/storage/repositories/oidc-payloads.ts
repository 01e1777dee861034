import { sql } from 'kysely';

import { runStatement, statement, type Db } from '../db.js';

export interface PayloadRow {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grantId?: string;
  uid?: string;
  userCode?: string;
  expiresAt?: Date;
}

// Grants and refresh tokens are read, consumed and written on every refresh: plain SQL (see runStatement).
const UPSERT = statement('payload_upsert', `insert into oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
  values ($1, $2, $3, $4, $5, $6, $7)
  on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
    uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`);
const FIND = statement('payload_find', `select payload, consumed_at from oidc_payloads
  where model = $1 and id = $2 and (expires_at is null or expires_at > $3)`);
const CONSUME = statement('payload_consume', 'update oidc_payloads set consumed_at = $3 where model = $1 and id = $2 and consumed_at is null');

type StoredPayload = { payload: Record<string, unknown>; consumed_at: Date | null };

/** $1–$7 of UPSERT and CONSUME_AND_UPSERT. */
const rowParameters = (row: PayloadRow) => [
  row.model,
  row.id,
  JSON.stringify(row.payload),
  row.grantId ?? null,
  row.uid ?? null,
  row.userCode ?? null,
  row.expiresAt ?? null,
];

export const upsertPayload = (db: Db, row: PayloadRow) => runStatement(db, UPSERT, rowParameters(row));

const live = (now: Date) => sql<boolean>`(expires_at is null or expires_at > ${now})`;

export const findPayload = async (db: Db, model: string, id: string, now: Date): Promise<StoredPayload | undefined> =>
  (await runStatement<StoredPayload>(db, FIND, [model, id, now])).rows[0];

export const findPayloadBy = (db: Db, model: string, column: 'uid' | 'user_code', value: string, now: Date) =>
  db
    .selectFrom('oidc_payloads')
    .select(['payload', 'consumed_at'])
    .where('model', '=', model)
    .where(column, '=', value)
    .where(live(now))
    .executeTakeFirst();

/** Marks consumed only if nobody did before; the row count says who won a race. */
export const consumePayload = async (db: Db, model: string, id: string, at: Date) =>
  (await runStatement(db, CONSUME, [model, id, at])).numAffectedRows === 1n;

export const destroyPayload = (db: Db, model: string, id: string) =>
  db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();

export const destroyPayloadsByGrant = (db: Db, model: string, grantId: string) =>
  db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();

/**
 * A rotation in one statement: marks `consumedId` consumed only if nobody did before and, only
 * then, stores its successor. False when another request had consumed it first (nothing stored):
 * the row lock makes a racing rotation wait here and then find it consumed.
 */
export const consumeAndUpsertPayload = async (db: Db, consumedId: string, at: Date, row: PayloadRow) =>
  (await runStatement(db, CONSUME_AND_UPSERT, [...rowParameters(row), consumedId, at])).numAffectedRows === 1n;

const CONSUME_AND_UPSERT = statement('payload_consume_and_upsert', `with consumed as (
    update oidc_payloads set consumed_at = $9 where model = $1 and id = $8 and consumed_at is null returning id)
  insert into oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
  select $1, $2, $3::jsonb, $4, $5, $6, $7::timestamptz where exists (select 1 from consumed)
  on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
    uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`);

/** Deletes up to `limit` expired rows; returns how many went (batches keep each delete short). */
export const deleteExpiredPayloads = async (db: Db, now: Date, limit: number) =>
  Number((await runStatement(db, DELETE_EXPIRED, [now, limit])).numAffectedRows ?? 0n);

const DELETE_EXPIRED = statement('payload_delete_expired', `delete from oidc_payloads where ctid in
  (select ctid from oidc_payloads where expires_at <= $1 limit $2)`);

/** Grants and refresh tokens of one person: what suspending them deletes (oidc_payloads_account index). */
export const destroyDurablePayloadsByAccount = (db: Db, accountId: string) =>
  db
    .deleteFrom('oidc_payloads')
    .where('model', 'in', ['Grant', 'RefreshToken'])
    .where(sql<string>`payload ->> 'accountId'`, '=', accountId)
    .execute();
