import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Context } from 'koa';
import { z } from 'zod';

/** Interaction forms are a few short fields; anything bigger is not one of ours. */
const FORM_LIMIT = 8 * 1024;

export class BadForm extends Error {}

/** Reads an application/x-www-form-urlencoded body and parses it with `schema` (the edge). */
export async function readForm<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.infer<S>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new BadForm('the form must be sent as application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new BadForm('the form is too large');
    chunks.push(chunk);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (name in fields) throw new BadForm(`the field ${name.slice(0, 32)} was sent twice`);
    fields[name] = value;
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new BadForm('the form is missing a field or has an invalid one');
  return parsed.data;
}

/**
 * CSRF token of one interaction: an HMAC of its uid under a server key. A form posted from
 * another site cannot carry it (it never sees our page), and it is useless for any other
 * interaction; oidc-provider's interaction cookie binds the uid to this browser besides.
 */
export function createCsrf(key: string) {
  const tokenFor = (uid: string) => createHmac('sha256', key).update(`interaction-csrf:${uid}`).digest('base64url');
  return {
    tokenFor,
    verify(uid: string, presented: string): boolean {
      const expected = Buffer.from(tokenFor(uid));
      const given = Buffer.from(presented);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export const csrfField = z.string().min(1).max(128);
