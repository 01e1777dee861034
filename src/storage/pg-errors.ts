/** Postgres SQLSTATEs Tessera turns into domain errors (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const codeOf = (error: unknown) => (error as { code?: string } | null)?.code;

export const isUniqueViolation = (error: unknown) => codeOf(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => codeOf(error) === '23503';
