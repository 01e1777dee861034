import type { Command } from 'commander';
import { z } from 'zod';

import { migrate } from '../storage/migrate.js';
import { action } from './run.js';

export function registerMigrate(program: Command) {
  program
    .command('migrate')
    .description('apply pending database migrations (the server also does this on start)')
    .action(action(z.object({}), async (core) => ({ applied: await migrate(core.storage.db) })));
}
