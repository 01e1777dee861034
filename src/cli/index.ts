import { Command } from 'commander';

import { registerApiKeys } from './apikeys.js';
import { registerApis } from './apis.js';
import { registerClients } from './clients.js';
import { registerKeys } from './keys.js';
import { registerMembers } from './members.js';
import { registerMigrate } from './migrate.js';
import { registerOrgs } from './orgs.js';
import { registerUsers } from './users.js';

/** The `tessera` command: the operator's tool. Every command prints JSON with --json. */
const program = new Command('tessera')
  .description('Tessera operator CLI')
  .option('--json', 'print JSON')
  .showHelpAfterError();

registerMigrate(program);
registerKeys(program);
registerApis(program);
registerOrgs(program);
registerClients(program);
registerApiKeys(program);
registerUsers(program);
registerMembers(program);

await program.parseAsync(process.argv);
