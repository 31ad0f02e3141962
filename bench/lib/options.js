// The benchmark's command line (`npm run bench -- OPTIONS`), read strictly with util.parseArgs: an
// unknown option, a stray argument or a value that is not a positive whole number is an error that
// names it, never a silent default or NaN.
"use strict";
const path = require("node:path");
const { parseArgs } = require("node:util");

/** The options, with the text `--help` prints for each. */
const OPTIONS = {
  quick: { type: "boolean", help: "sizes 1 and 10, 2 pairs, 10 subjects for P2 (under 4 minutes)" },
  pairs: {
    type: "string",
    value: "N",
    help: "alternating pairs per measurement (default 5, P2 3; --quick 2)",
  },
  sizes: { type: "string", value: "1,10,50", help: "P1 sizes; the largest is also P3/P4's resource count" },
  subjects: { type: "string", value: "N", help: "P2 subjects (default 30; --quick 10)" },
  out: { type: "string", value: "DIR", help: "where to write the results (default bench/results)" },
  "no-build": { type: "boolean", help: "skip `tsc` (use dist/ as it is)" },
  help: { type: "boolean", short: "h", help: "print this and exit" },
};

/** The `--help` text. */
function usage() {
  const rows = Object.entries(OPTIONS).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}`;
    return `  ${flag.padEnd(20)} ${o.help}`;
  });
  return [
    "Usage: npm run bench [-- OPTIONS]",
    "",
    "The real Pulumi CLI against the project's emulator (docs/BENCHMARKS.md). Options:",
    ...rows,
    "",
  ].join("\n");
}

/** A whole number of at least 1, or an error naming the option. */
function positiveInteger(option, text) {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new Error(`--${option} needs a whole number of at least 1, not "${text}"`);
  return Number(text);
}

/** The measurement plan: --quick's or the full defaults, then the explicit options over them. */
function planFor(values) {
  const plan = values.quick
    ? { quick: true, sizes: [1, 10], pairs: 2, p2Subjects: 10, p2Pairs: 2 }
    : { quick: false, sizes: [1, 10, 50], pairs: 5, p2Subjects: 30, p2Pairs: 3 };
  if (values.pairs !== undefined) plan.pairs = plan.p2Pairs = positiveInteger("pairs", values.pairs);
  if (values.sizes !== undefined)
    plan.sizes = values.sizes.split(",").map((size) => positiveInteger("sizes", size.trim()));
  if (values.subjects !== undefined) plan.p2Subjects = positiveInteger("subjects", values.subjects);
  plan.outDir = values.out ? path.resolve(values.out) : path.join(__dirname, "../results");
  return plan;
}

/**
 * Reads `argv` (the arguments after `npm run bench --`): `{ help, build, plan }`. Throws an Error
 * whose message says what is wrong.
 */
function parseBenchArgs(argv) {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => [
      name,
      o.short ? { type: o.type, short: o.short } : { type: o.type },
    ]),
  );
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  return { help: values.help === true, build: values["no-build"] !== true, plan: planFor(values) };
}

module.exports = { parseBenchArgs, usage, positiveInteger };
