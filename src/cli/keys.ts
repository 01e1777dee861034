import type { Command } from 'commander';
import { z } from 'zod';

import { action } from './run.js';

export function registerKeys(program: Command) {
  const keys = program.command('keys').description('signing keys');
  keys
    .command('list')
    .description('list signing keys (public metadata only)')
    .action(action(z.object({}), (core) => core.signingKeys.list()));
  keys
    .command('rotate')
    .description('create a new signing key; older keys stay published until their tokens expire')
    .action(
      action(z.object({}), async (core) => {
        const key = await core.signingKeys.rotate(await core.keyRetentionSeconds());
        await core.changes.publish('signing_key', key.kid);
        await core.audit.record({ orgId: null, actor: 'cli', action: 'signing_key.rotated', targetType: 'signing_key', targetId: key.kid });
        return key;
      }),
    );
}
