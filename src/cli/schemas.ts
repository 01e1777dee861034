import { z } from 'zod';

import { CLIENT_TYPES } from '../credentials/clients.js';
import { ROLES } from '../orgs/roles.js';

export const name = z.string().trim().min(1).max(200);
export const role = z.enum(ROLES);
export const clientType = z.enum(CLIENT_TYPES);
export const httpUrl = z.url({ protocol: /^https?$/ });
export const id = z.string().regex(/^[a-z]+_[A-Za-z0-9_-]{10,64}$/, 'is not a Tessera id');
