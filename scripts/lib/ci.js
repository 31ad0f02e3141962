// Whether this run is CI's: there, a test that cannot run (no Pulumi CLI) is a failure, not a skip.
"use strict";

/**
 * True when `CI` is set to anything but "", "false" or "0" (GitHub Actions, GitLab and most others
 * set CI=true; some set CI=1 or CI=yes).
 */
function isCi(env = process.env) {
  const value = (env.CI ?? "").trim().toLowerCase();
  return value !== "" && value !== "false" && value !== "0";
}

module.exports = { isCi };
