// How many end-to-end tests really ran, read from jest's JSON results (`jest --json`): the e2e suites
// (tests/support/pulumi.ts) mark a suite skipped for want of a Pulumi CLI with NO_CLI_MARK in its
// title, and on CI replace it with one failing test titled NEEDS_CLI_TITLE.
"use strict";
const path = require("node:path");

/** Appended to the title of an e2e suite skipped because there is no Pulumi CLI. */
const NO_CLI_MARK = "[skipped: no Pulumi CLI]";
/** The title of the failing test that stands for an e2e suite on CI when there is no Pulumi CLI. */
const NEEDS_CLI_TITLE = "needs the Pulumi CLI";

/** The jest results of the test files under `e2eDir`. */
function e2eFiles(results, e2eDir) {
  const inside = (file) => !path.relative(e2eDir, file).startsWith("..");
  return (results.testResults ?? []).filter((file) => inside(file.name));
}

/**
 * Counts of the e2e files and tests: files selected, files that failed to run (no test result: a
 * compile error, a throw at load), tests that ran (passed or failed), tests skipped for want of a
 * CLI, and CI's missing-CLI failures.
 */
function e2eCounts(results, e2eDir) {
  const files = e2eFiles(results, e2eDir);
  const assertions = files.flatMap((file) => file.assertionResults ?? []);
  const needsCli = (a) => a.title === NEEDS_CLI_TITLE;
  const noCli = (a) => (a.ancestorTitles ?? []).some((title) => title.endsWith(NO_CLI_MARK));
  return {
    files: files.length,
    brokenFiles: files.filter(
      (file) => file.status === "failed" && (file.assertionResults ?? []).length === 0,
    ).length,
    ran: assertions.filter((a) => (a.status === "passed" || a.status === "failed") && !needsCli(a)).length,
    skippedNoCli: assertions.filter(noCli).length,
    failedNoCli: assertions.filter(needsCli).length,
  };
}

/**
 * The closing e2e line of `npm test`, e.g. `e2e: 25 ran against pulumi v3.274.1` or
 * `e2e: 2 ran, 23 skipped (no Pulumi CLI; set CI=true to make that a failure)`. `version()` gives
 * the CLI's version; it is asked only when the suites found a CLI.
 */
function e2eSummaryLine(results, e2eDir, version) {
  const c = e2eCounts(results, e2eDir);
  if (c.files === 0) return "e2e: 0 ran (no end-to-end test was selected)";
  const broken = c.brokenFiles > 0 ? `; ${c.brokenFiles} e2e test files failed to run` : "";
  return e2eCliLine(c, version) + broken;
}

/** The part of the e2e line that says whether, and against which CLI, the e2e tests ran. */
function e2eCliLine(c, version) {
  if (c.failedNoCli > 0) {
    const suites = c.failedNoCli === 1 ? "1 suite" : `${c.failedNoCli} suites`;
    return `e2e: ${c.ran} ran; ${suites} failed: no Pulumi CLI, and on CI that is a failure`;
  }
  if (c.skippedNoCli > 0)
    return `e2e: ${c.ran} ran, ${c.skippedNoCli} skipped (no Pulumi CLI; set CI=true to make that a failure)`;
  return `e2e: ${c.ran} ran against pulumi ${version()}`;
}

module.exports = { NO_CLI_MARK, NEEDS_CLI_TITLE, e2eCounts, e2eSummaryLine };
