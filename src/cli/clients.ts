import type { Command } from 'commander';
import { z } from 'zod';

import { action, collect } from './run.js';
import { clientType, httpUrl, id, name, role } from './schemas.js';

const redirectUri = z.url({ protocol: /^[a-z][a-z0-9+.-]*$/ }).refine((value) => !value.includes('#'), 'must not contain a fragment');

export function registerClients(program: Command) {
  const client = program.command('client').description('applications and machine credentials');
  client
    .command('create')
    .description('create a client; a confidential client\'s secret is printed exactly once')
    .requiredOption('--type <type>', 'm2m | web | spa | native')
    .requiredOption('--org <id>', 'owning organization')
    .requiredOption('--name <name>', 'display name')
    .option('--role <role>', 'role of a machine credential: viewer | contributor | editor | admin')
    .option('--description <text>', 'what it is for')
    .option('--redirect-uri <uri>', 'allowed redirect URI (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'allowed post-logout redirect URI (repeatable)', collect)
    .option('--third-party', 'ask people for consent before sharing their data with it')
    .action(
      action(
        z.object({
          type: clientType,
          org: id,
          name,
          role: role.optional(),
          description: z.string().max(1000).optional(),
          redirectUri: z.array(redirectUri).optional(),
          postLogoutRedirectUri: z.array(httpUrl).optional(),
          thirdParty: z.boolean().optional(),
        }),
        async (core, input) => {
          const { client: created, secret } = await core.clients.create({
            orgId: input.org,
            name: input.name,
            type: input.type,
            role: input.role,
            description: input.description,
            redirectUris: input.redirectUri,
            postLogoutRedirectUris: input.postLogoutRedirectUri,
            firstParty: !input.thirdParty,
            actor: 'cli',
          });
          return { client_id: created.id, ...(secret ? { client_secret: secret } : {}), ...created };
        },
      ),
    );
  client
    .command('list')
    .description('list an organization\'s clients (never their secrets)')
    .requiredOption('--org <id>', 'organization')
    .option('--limit <n>', 'at most this many', '100')
    .action(
      action(z.object({ org: id, limit: z.coerce.number().int().min(1).max(1000) }), (core, input) =>
        core.clients.list(input.org, { limit: input.limit }),
      ),
    );

  const credential = program.command('credential').description('rotate or revoke a client\'s secret');
  credential
    .command('rotate <client-id>')
    .description('issue a new secret, printed once; the old one works for --grace-period-seconds')
    .option('--grace-period-seconds <n>', 'keep accepting the old secret this long (default 0: not at all)', '0')
    .action(
      action(z.object({ args: z.tuple([id]), gracePeriodSeconds: z.coerce.number().int().min(0).max(30 * 86400) }), async (core, input) => {
        const { client: rotated, secret } = await core.clients.rotateSecret(input.args[0], { gracePeriodSeconds: input.gracePeriodSeconds, actor: 'cli' });
        return { client_id: rotated.id, client_secret: secret, ...rotated };
      }),
    );
  credential
    .command('revoke <client-id>')
    .description('revoke a client for good')
    .action(action(z.object({ args: z.tuple([id]) }), (core, input) => core.clients.revoke(input.args[0], { actor: 'cli' })));
}
