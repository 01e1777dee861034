import { sql } from 'kysely';

import type { Db } from '../db.js';

export interface PayloadRow {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grantId?: string;
  uid?: string;
  userCode?: string;
  expiresAt?: Date;
}

export const upsertPayload = (db: Db, row: PayloadRow) =>
  db
    .insertInto('oidc_payloads')
    .values({
      model: row.model,
      id: row.id,
      payload: JSON.stringify(row.payload),
      grant_id: row.grantId ?? null,
      uid: row.uid ?? null,
      user_code: row.userCode ?? null,
      expires_at: row.expiresAt ?? null,
    })
    .onConflict((oc) =>
      oc.columns(['model', 'id']).doUpdateSet((eb) => ({
        payload: eb.ref('excluded.payload'),
        grant_id: eb.ref('excluded.grant_id'),
        uid: eb.ref('excluded.uid'),
        user_code: eb.ref('excluded.user_code'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    )
    .execute();

const live = (now: Date) => sql<boolean>`(expires_at is null or expires_at > ${now})`;

export const findPayload = (db: Db, model: string, id: string, now: Date) =>
  db
    .selectFrom('oidc_payloads')
    .select(['payload', 'consumed_at'])
    .where('model', '=', model)
    .where('id', '=', id)
    .where(live(now))
    .executeTakeFirst();

export const findPayloadBy = (db: Db, model: string, column: 'uid' | 'user_code', value: string, now: Date) =>
  db
    .selectFrom('oidc_payloads')
    .select(['payload', 'consumed_at'])
    .where('model', '=', model)
    .where(column, '=', value)
    .where(live(now))
    .executeTakeFirst();

/** Marks consumed only if nobody did before; the row count says who won a race. */
export const consumePayload = async (db: Db, model: string, id: string, at: Date) => {
  const result = await db
    .updateTable('oidc_payloads')
    .set({ consumed_at: at })
    .where('model', '=', model)
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
};

export const destroyPayload = (db: Db, model: string, id: string) =>
  db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();

export const destroyPayloadsByGrant = (db: Db, model: string, grantId: string) =>
  db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();

export const deleteExpiredPayloads = (db: Db, now: Date) =>
  db.deleteFrom('oidc_payloads').where('expires_at', '<', now).execute();

/** Grants and refresh tokens of one person: what suspending them deletes (oidc_payloads_account index). */
export const destroyDurablePayloadsByAccount = (db: Db, accountId: string) =>
  db
    .deleteFrom('oidc_payloads')
    .where('model', 'in', ['Grant', 'RefreshToken'])
    .where(sql<string>`payload ->> 'accountId'`, '=', accountId)
    .execute();
