import type { Command } from 'commander';
import { z } from 'zod';

import { ConfigError, loadConfig } from '../config/load.js';
import { openCore, type Core } from '../core.js';
import { createLogger } from '../observability/logger.js';
import { AppError } from '../shared/errors.js';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a result: JSON with --json, otherwise `key: value` lines a person can read. */
export function print(raw: unknown, options: OutputOptions) {
  const result = snakeCase(raw);
  if (options.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const rows = Array.isArray(result) ? result : [result];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row as Record<string, unknown>)) {
      process.stdout.write(`${key}: ${value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(', ') : String(value ?? '')}\n`);
    }
    if (rows.length > 1) process.stdout.write('\n');
  }
}

/**
 * Runs one CLI action against the core services: parses its input with `schema` (the edge),
 * opens storage, and turns every expected failure into one line on stderr and exit code 1.
 */
export function action<S extends z.ZodType>(
  schema: S,
  work: (core: Core, input: z.infer<S>) => Promise<unknown>,
) {
  return async function run(this: Command) {
    const options = this.optsWithGlobals() as Record<string, unknown> & OutputOptions;
    const input = schema.safeParse({ ...options, args: this.args });
    if (!input.success) return fail(describe(input.error), options);
    let core: Core | undefined;
    try {
      const config = loadConfig();
      core = await openCore(config, { logger: createLogger('warn', process.stderr), connectRedis: false });
      print(await work(core, input.data), options);
    } catch (error) {
      if (error instanceof ConfigError) return fail(`invalid configuration: ${error.message}`, options);
      if (error instanceof AppError && error.expose) return fail(error.message, options, error.code);
      fail(error instanceof Error ? error.message : String(error), options);
    } finally {
      await core?.close();
    }
  };
}

/** Names the option (`--allowed-ip`, as typed, not commander's `allowedIp.0`) or argument at fault. */
function describe(error: z.ZodError) {
  const where = ([first, second]: PropertyKey[]) =>
    first === 'args' ? `argument ${Number(second ?? 0) + 1}` : `--${String(first).replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`).replace(/_/g, '-')}`;
  return error.issues.map((issue) => `${where(issue.path)}: ${issue.message}`).join('; ');
}

function fail(message: string, options: OutputOptions, code = 'error') {
  if (options.json) process.stdout.write(JSON.stringify({ error: code, message }) + '\n');
  else process.stderr.write(`tessera: ${message}\n`);
  process.exitCode = 1;
}

/** Commander collects a repeated option into an array with this. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Output keys follow the wire format of the OAuth and management APIs (snake_case). */
function snakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), snakeCase(item)]),
  );
}
