import type { Command } from 'commander';
import { z } from 'zod';

import { action, collect } from './run.js';
import { httpUrl, name } from './schemas.js';

export function registerApis(program: Command) {
  const api = program.command('api').description('APIs that tokens are issued for');
  api
    .command('create')
    .description('register an API (its identifier is the token audience)')
    .requiredOption('--identifier <url>', 'audience, e.g. https://api.example.com')
    .requiredOption('--name <name>', 'display name')
    .option('--token-lifetime <seconds>', 'access-token lifetime in seconds (default ACCESS_TOKEN_TTL)')
    .option('--scope <scope>', 'a scope the API defines (repeatable)', collect)
    .action(
      action(
        z.object({
          identifier: httpUrl.max(500),
          name,
          tokenLifetime: z.coerce.number().int().min(60).max(31_536_000).optional(),
          scope: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'is not a valid scope token')).optional(),
        }),
        (core, input) =>
          core.apis.create({ identifier: input.identifier, name: input.name, tokenLifetimeSeconds: input.tokenLifetime, scopes: input.scope, actor: 'cli' }),
      ),
    );
  api.command('list').description('list APIs').action(action(z.object({}), (core) => core.apis.list()));
}
