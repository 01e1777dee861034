import path from 'node:path';

import { configSchema, type RawConfig } from './schema.js';

export type Config = Readonly<
  Omit<RawConfig, 'ISSUER'> & {
    ISSUER: string;
    /** Absolute paths, resolved once so later code never depends on the working directory. */
    dataDir: string;
    keysDir: string;
  }
>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

/** Parses the environment once; the only reader of `process.env` in Tessera. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const raw = parsed.data;
  return Object.freeze({
    ...raw,
    ISSUER: raw.ISSUER ?? `http://localhost:${raw.PORT}`,
    dataDir: path.resolve(raw.DATA_DIR),
    keysDir: path.resolve(raw.KEYS_DIR),
  });
}
