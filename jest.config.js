// Two groups: "unit+emulator" (fast, in-process) and "e2e" (drives the real Pulumi CLI).
// Run through `npm test` (scripts/test.js), which sets NODE_EXTRA_CA_CERTS and --experimental-vm-modules.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/tests/unit/**/*.test.ts", "<rootDir>/tests/emulator/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      testEnvironment: "node",
    },
    {
      displayName: "e2e",
      testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      testEnvironment: "node",
    },
  ],
};
