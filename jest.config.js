// Three projects, named for what they run:
//   unit         no network: pure functions and the provider's check/diff (tests/unit)
//   integration  the emulator over real HTTPS, driven directly or through the provider (tests/emulator,
//                tests/provider)
//   e2e          the real Pulumi CLI and engine against the emulator (tests/e2e)
// Shared harness code lives in tests/support (no tests there). Run through `npm test`
// (scripts/test.js), which sets NODE_EXTRA_CA_CERTS; pick projects with
// `npm test -- --selectProjects unit integration`.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }];
// The provider shell loads its implementation by package name; in these tests that is the source.
const moduleNameMapper = {
  "^pulumi-azuread-provision-on-demand/provider$": "<rootDir>/src/provider/index.ts",
  "^pulumi-azuread-provision-on-demand/emulator$": "<rootDir>/src/emulator/index.ts",
};

/** One project: a name and the folders whose `*.test.ts` it runs. */
function project(displayName, folders, extra = {}) {
  return {
    displayName,
    testMatch: folders.map((folder) => `<rootDir>/tests/${folder}/**/*.test.ts`),
    transform: { "^.+\\.ts$": tsJest },
    testEnvironment: "node",
    ...extra,
  };
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project("unit", ["unit"], { moduleNameMapper }),
    project("integration", ["emulator", "provider"], { moduleNameMapper }),
    project("e2e", ["e2e"]),
  ],
};
