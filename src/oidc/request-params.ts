/**
 * Turns the body of an OAuth POST (form or JSON) into one flat parameter map, refusing what
 * RFC 6749 §3.2 forbids (repeated parameters) and what Tessera cannot store safely. Pure:
 * no Koa, so it is tested directly.
 */
export type Params = Record<string, string | string[]>;

export class BadRequestBody extends Error {}

/** Parameters a request may repeat (RFC 8707 §2: several resources). */
const REPEATABLE = new Set(['resource', 'audience']);
/** NUL cannot be stored by Postgres; other control characters never belong in OAuth parameters. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function parseFormParams(body: string): Params {
  const params: Params = {};
  for (const [name, value] of new URLSearchParams(body)) add(params, name, value);
  return params;
}

export function parseJsonParams(body: string): Params {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestBody('the request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestBody('the request body must be a JSON object');
  }
  const duplicate = firstDuplicateKey(body);
  if (duplicate !== undefined) throw new BadRequestBody(`'${duplicate}' parameter must only be provided once`);
  const params: Params = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value) && REPEATABLE.has(name) && value.every((item) => typeof item === 'string')) {
      for (const item of value as string[]) add(params, name, item);
    } else if (['string', 'number', 'boolean'].includes(typeof value)) {
      add(params, name, String(value));
    } else {
      throw new BadRequestBody(`'${name}' parameter must be a string`);
    }
  }
  return params;
}

function add(params: Params, name: string, value: string) {
  if (CONTROL_CHARACTERS.test(name) || CONTROL_CHARACTERS.test(value)) {
    throw new BadRequestBody(`'${safeName(name)}' parameter contains control characters`);
  }
  const existing = params[name];
  if (existing === undefined) {
    params[name] = value;
  } else if (!REPEATABLE.has(name)) {
    throw new BadRequestBody(`'${safeName(name)}' parameter must only be provided once`);
  } else {
    params[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
}

/** Parameter names go into error text; keep them short and printable. */
const safeName = (name: string) => name.replace(/[^\w.-]/g, '?').slice(0, 64);

/**
 * JSON.parse keeps the last of two equal keys silently; this walks the top-level object and
 * reports the first key seen twice, so `{"client_id":"a","client_id":"b"}` is refused.
 */
function firstDuplicateKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      const start = i;
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < json.length && /\s/.test(json[j]!)) j++;
      if (json[j] !== ':') continue;
      const key = JSON.parse(json.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    } else if (char === '{' || char === '[') {
      depth++;
    } else if (char === '}' || char === ']') {
      depth--;
    }
  }
  return undefined;
}

/** One value of a parameter that may not repeat (after parsing it is a string or absent). */
export const single = (params: Params, name: string): string | undefined => {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
};
