import type { Command } from 'commander';
import { z } from 'zod';

import { API_KEY_LIFETIMES_DAYS } from '../credentials/api-keys.js';
import { isValidAllowedIp } from '../credentials/ip-allow-list.js';
import { action, collect } from './run.js';
import { id, name, role } from './schemas.js';

const keyId = z.string().regex(/^key_[0-9A-Za-z]{22}$/, 'is not an API key id');

/** `tessera apikey …`: the same code paths as the management API, the key printed once. */
export function registerApiKeys(program: Command) {
  const apikey = program.command('apikey').description('organization API keys');
  apikey
    .command('create')
    .description('create an API key; the key is printed exactly once')
    .requiredOption('--org <id>', 'owning organization')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--role <role>', 'viewer | contributor | editor | admin (least privilege by default)', 'viewer')
    .option('--expires-in-days <n>', `one of ${API_KEY_LIFETIMES_DAYS.join(', ')}`, '90')
    .option('--owner <id>', 'who the key acts for (a user id); default: the operator (cli)')
    .option('--description <text>', 'more context')
    .option('--allowed-ip <cidr>', 'address or CIDR the key may be used from (repeatable)', collect)
    .action(
      action(
        z.object({
          org: id,
          name,
          role,
          expiresInDays: z.coerce
            .number()
            .refine((days): days is (typeof API_KEY_LIFETIMES_DAYS)[number] => (API_KEY_LIFETIMES_DAYS as readonly number[]).includes(days), `must be one of ${API_KEY_LIFETIMES_DAYS.join(', ')}`),
          owner: id.optional(),
          description: z.string().max(1000).optional(),
          allowedIp: z.array(z.string().refine(isValidAllowedIp, 'must be an IP address or CIDR range')).optional(),
        }),
        async (core, input) => {
          const { apiKey, key } = await core.apiKeys.create({
            orgId: input.org,
            owner: input.owner ?? 'cli',
            name: input.name,
            role: input.role,
            expiresInDays: input.expiresInDays,
            description: input.description,
            allowedIps: input.allowedIp,
            actor: 'cli',
          });
          return { key, ...apiKey };
        },
      ),
    );
  apikey
    .command('list')
    .description("list an organization's API keys (never the keys themselves)")
    .requiredOption('--org <id>', 'organization')
    .option('--limit <n>', 'at most this many', '100')
    .action(
      action(z.object({ org: id, limit: z.coerce.number().int().min(1).max(1000) }), (core, input) => core.apiKeys.list(input.org, { limit: input.limit })),
    );
  apikey
    .command('revoke <key-id>')
    .description('revoke an API key for good (kept for the audit trail)')
    .action(action(z.object({ args: z.tuple([keyId]) }), (core, input) => core.apiKeys.revoke(input.args[0], { actor: 'cli' })));
}
