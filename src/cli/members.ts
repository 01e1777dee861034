import type { Command } from 'commander';
import { z } from 'zod';

import { action } from './run.js';
import { id, role } from './schemas.js';

const membership = z.object({ org: id, user: id, role });

export function registerMembers(program: Command) {
  const member = program.command('member').description('people in organizations, with their roles');
  member
    .command('add')
    .description('add a user to an organization with a role')
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--user <id>', 'user')
    .requiredOption('--role <role>', 'viewer | contributor | editor | admin')
    .action(action(membership, (core, input) => core.memberships.add({ orgId: input.org, userId: input.user, role: input.role, actor: 'cli' })));
  member
    .command('set-role')
    .description('change a member\'s role (shows in their next token or refresh)')
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--user <id>', 'user')
    .requiredOption('--role <role>', 'viewer | contributor | editor | admin')
    .action(action(membership, (core, input) => core.memberships.setRole({ orgId: input.org, userId: input.user, role: input.role, actor: 'cli' })));
  member
    .command('remove')
    .description('remove a user from an organization')
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--user <id>', 'user')
    .action(action(z.object({ org: id, user: id }), (core, input) => core.memberships.remove({ orgId: input.org, userId: input.user, actor: 'cli' })));
  member
    .command('list')
    .description('list an organization\'s members')
    .requiredOption('--org <id>', 'organization')
    .option('--limit <n>', 'at most this many', '100')
    .option('--after <user-id>', 'continue after this user id')
    .action(
      action(z.object({ org: id, limit: z.coerce.number().int().min(1).max(1000), after: id.optional() }), (core, input) =>
        core.memberships.listForOrg(input.org, { limit: input.limit, after: input.after }),
      ),
    );
}
