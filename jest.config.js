/**
 * jest in ESM mode (oidc-provider is ESM-only) with ts-jest transpiling each file on its own
 * (tsconfig: isolatedModules); `npm run typecheck` is what checks types.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  // Each file starts its own Tessera on its own database; two at a time suits a 2-core machine.
  maxWorkers: 2,
};
