import type { Command } from 'commander';
import { z } from 'zod';

import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../orgs/passwords.js';
import { action } from './run.js';
import { id, name } from './schemas.js';

export function registerUsers(program: Command) {
  const user = program.command('user').description('people who sign in');
  user
    .command('create')
    .description('create a user (the password is hashed with argon2id and never printed)')
    .requiredOption('--email <email>', 'email address (unique, case-insensitive)')
    .requiredOption('--password <password>', `password (${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters)`)
    .requiredOption('--name <name>', 'display name')
    .option('--email-verified', 'the email address is known to be theirs')
    .action(
      action(
        z.object({
          email: z.email().max(320),
          password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
          name,
          emailVerified: z.boolean().optional(),
        }),
        (core, input) => core.users.create({ email: input.email, password: input.password, name: input.name, emailVerified: input.emailVerified, actor: 'cli' }),
      ),
    );
  user
    .command('suspend <user-id>')
    .description('stop a user at once: no sign-in, no refresh, sessions ended')
    .action(action(z.object({ args: z.tuple([id]) }), (core, input) => core.users.suspend(input.args[0], { actor: 'cli' })));
}
