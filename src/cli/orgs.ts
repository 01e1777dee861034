import type { Command } from 'commander';
import { z } from 'zod';

import { action } from './run.js';
import { name } from './schemas.js';

export function registerOrgs(program: Command) {
  const org = program.command('org').description('organizations');
  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .action(action(z.object({ name }), (core, input) => core.organizations.create({ name: input.name, actor: 'cli' })));
  org
    .command('list')
    .description('list organizations')
    .option('--limit <n>', 'at most this many', '100')
    .option('--after <id>', 'continue after this organization id')
    .action(
      action(z.object({ limit: z.coerce.number().int().min(1).max(1000), after: z.string().optional() }), (core, input) =>
        core.organizations.list(input),
      ),
    );
}
