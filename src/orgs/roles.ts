/** Roles an organization member or credential can hold, least to most privileged (seed 000). */
export const ROLES = ['viewer', 'contributor', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);
