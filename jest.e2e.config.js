/**
 * The end-to-end suite on real storage nodes (test/e2e): needs the storage lab up (`npm run lab:up`, or
 * lab/run-e2e.sh which brings it up and down), PostgreSQL, and `npm run build` (the CLI runs from dist/).
 * Run with --runInBand: the tests share one lab and build on each other.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  // UML nodes take seconds per gluster step, a node restart about half a minute.
  testTimeout: 15 * 60 * 1000,
  slowTestThreshold: 60,
};
