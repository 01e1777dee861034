import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { ConfigError, loadConfig } from '../../src/config/load.js';

const main = path.resolve('dist/src/main.js');

describe('configuration is parsed once, and a bad value stops the process with one line', () => {
  test.each([
    ['PORT', 'not-a-port'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['LOG_LEVEL', 'loud'],
    ['KEY_ENCRYPTION_KEY', 'too-short'],
    ['ISSUER', 'https://auth.example.com/'],
    ['DATABASE_PREPARED_STATEMENTS', 'yes'],
  ])('%s=%s', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    const result = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH, [variable]: value }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('defaults: port 3000, embedded storage under ./data, issuer on localhost', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, ISSUER: 'http://localhost:3000', DATABASE_URL: undefined, REDIS_URL: undefined, ACCESS_TOKEN_TTL: 86400, DATABASE_PREPARED_STATEMENTS: true });
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).DATABASE_PREPARED_STATEMENTS).toBe(false);
    expect(config.dataDir).toBe(path.resolve('data'));
  });
});
