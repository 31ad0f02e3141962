// Two groups: "unit+emulator" (fast, in-process) and "e2e" (drives the real Pulumi CLI).
// Run through `npm test` (scripts/test.js), which sets NODE_EXTRA_CA_CERTS and --experimental-vm-modules.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }];
// The provider shell loads its implementation by package name; in unit tests that is the source.
const moduleNameMapper = {
  "^pulumi-azuread-provision-on-demand/provider$": "<rootDir>/src/provider/index.ts",
  "^pulumi-azuread-provision-on-demand/emulator$": "<rootDir>/src/emulator/index.ts",
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "unit",
      testMatch: [
        "<rootDir>/tests/unit/**/*.test.ts",
        "<rootDir>/tests/emulator/**/*.test.ts",
        "<rootDir>/tests/provider/**/*.test.ts",
      ],
      transform: { "^.+\\.ts$": tsJest },
      moduleNameMapper,
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
