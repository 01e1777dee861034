import type { Context } from 'koa';
import { z } from 'zod';

import { AppError, ValidationError } from '../shared/errors.js';

const BODY_LIMIT = 64 * 1024;

/** Reads a JSON object body (empty means `{}`); malformed JSON is 400, not 500. */
export async function readJson(ctx: Context): Promise<unknown> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > BODY_LIMIT) throw new AppError('payload_too_large', `the request body exceeds ${BODY_LIMIT} bytes`, 413);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new AppError('payload_too_large', `the request body exceeds ${BODY_LIMIT} bytes`, 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  if (!ctx.is('application/json', 'application/*+json')) throw new AppError('unsupported_media_type', 'the request body must be application/json', 415);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('bad_request', 'the request body is not valid JSON', 400);
  }
}

/** Parses with zod at the edge; every problem becomes a `{field, message}` in a 422. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: 'is not a recognised field' }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
  throw new ValidationError('Validation failed', errors);
}

/** Answers `body` after checking it against its strict output schema (nothing extra leaks out). */
export function reply<S extends z.ZodType>(ctx: Context, status: number, schema: S, body: z.input<S>) {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = schema.parse(body);
}

/** `limit` and an opaque `cursor`: keyset pagination, stable under concurrent inserts. */
export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

/** Cursor for (created_at, id) keysets. */
export const encodeCursor = (value: { createdAt: Date; id: string }) =>
  Buffer.from(JSON.stringify([value.createdAt.toISOString(), value.id])).toString('base64url');

export function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const createdAt = new Date(String(at));
    if (typeof id === 'string' && !Number.isNaN(createdAt.getTime())) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new ValidationError('Validation failed', [{ field: 'cursor', message: 'is not a cursor this API returned' }]);
}

/** Fetches one more than asked to know whether a next page exists. */
export function paginate<T>(rows: T[], limit: number, cursorOf: (row: T) => string) {
  const data = rows.slice(0, limit);
  return { data, next_cursor: rows.length > limit ? cursorOf(data[data.length - 1]!) : null };
}

export const isoDate = z.string();
export const iso = (date: Date | null) => (date ? date.toISOString() : null);
