// The benchmark's command line (`npm run bench -- OPTIONS`), read strictly with util.parseArgs: an
// unknown option, a stray argument or a value that is not a positive whole number is an error that
// names it, never a silent default or NaN.
"use strict";
const path = require("node:path");
const { parseArgs } = require("node:util");

/** The options, with the text `--help` prints for each. */
const OPTIONS = {
  quick: {
    type: "boolean",
    help: "sizes 1 and 10, 3 rounds, P2 10 subjects × 2 pairs, P6 50 members once (under 4 minutes)",
  },
  pairs: {
    type: "string",
    value: "N",
    help: "P1 rounds per size (default 9: each arm first three times) and P2 pairs (default 3); --quick 3 and 2",
  },
  sizes: { type: "string", value: "1,10,50", help: "P1 sizes; the largest is also P3/P4's resource count" },
  subjects: { type: "string", value: "N", help: "P2 subjects (default 30; --quick 10)" },
  "latency-ms": {
    type: "string",
    value: "MS",
    help: "P1's latency run: every Graph answer this much later (default 200; 0: no latency run)",
  },
  "latency-size": { type: "string", value: "N", help: "resources in P1's latency run (default 10)" },
  members: { type: "string", value: "N", help: "P6 group members (default 200; --quick 50)" },
  only: { type: "string", value: "p1,p2,p3,p6", help: "run only these parts (P4 comes with P3)" },
  arms: {
    type: "string",
    value: "A,B,C",
    help: "P1's three arms (an experiment; default ours,reference,noop), each with :VAR=v+… for its environment",
  },
  profile: {
    type: "string",
    value: "DIR",
    help: "CPU profiles of every dynamic-provider process into DIR (slows them down)",
  },
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

/** A whole number of at least 0, or an error naming the option. */
function nonNegativeInteger(option, text) {
  if (!/^\d+$/.test(text)) throw new Error(`--${option} needs a whole number of at least 0, not "${text}"`);
  return Number(text);
}

/** The parts `npm run bench` can run; P4 is measured on P3's stack. */
const PARTS = ["p1", "p2", "p3", "p6"];

/** The parts --only names, checked. */
function partsFrom(text) {
  const parts = text.split(",").map((p) => p.trim().toLowerCase());
  const unknown = parts.filter((p) => !PARTS.includes(p));
  if (unknown.length > 0 || parts.length === 0)
    throw new Error(`--only takes parts among ${PARTS.join(",")}, not "${text}"`);
  return PARTS.filter((p) => parts.includes(p));
}

/** The --arms list, checked: three programs, each with the environment its run gets. */
function armsFrom(text) {
  const arms = text.split(",").map((arm) => arm.trim());
  const bad = arms.filter(
    (arm) =>
      !/^(ours|reference|noop)(:[A-Za-z_][A-Za-z0-9_]*=[^+,]*(\+[A-Za-z_][A-Za-z0-9_]*=[^+,]*)*)?$/.test(arm),
  );
  if (arms.length !== 3 || bad.length > 0)
    throw new Error(
      `--arms takes three arms like ours,ours:NODE_DISABLE_COMPILE_CACHE=1,reference, not "${text}"`,
    );
  return arms;
}

/** The measurement plan: --quick's or the full defaults, then the explicit options over them. */
function planFor(values) {
  const plan = values.quick
    ? { quick: true, sizes: [1, 10], pairs: 3, p2Subjects: 10, p2Pairs: 2, p6Members: 50, p6Runs: 1 }
    : { quick: false, sizes: [1, 10, 50], pairs: 9, p2Subjects: 30, p2Pairs: 3, p6Members: 200, p6Runs: 2 };
  plan.latencyMs = 200;
  plan.latencySize = 10;
  plan.parts = PARTS;
  if (values.pairs !== undefined) plan.pairs = plan.p2Pairs = positiveInteger("pairs", values.pairs);
  if (values.sizes !== undefined)
    plan.sizes = values.sizes.split(",").map((size) => positiveInteger("sizes", size.trim()));
  if (values.subjects !== undefined) plan.p2Subjects = positiveInteger("subjects", values.subjects);
  if (values["latency-ms"] !== undefined)
    plan.latencyMs = nonNegativeInteger("latency-ms", values["latency-ms"]);
  if (values["latency-size"] !== undefined)
    plan.latencySize = positiveInteger("latency-size", values["latency-size"]);
  if (values.members !== undefined) plan.p6Members = positiveInteger("members", values.members);
  if (values.only !== undefined) plan.parts = partsFrom(values.only);
  plan.arms = values.arms === undefined ? ["ours", "reference", "noop"] : armsFrom(values.arms);
  plan.profileDir = values.profile ? path.resolve(values.profile) : undefined;
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

module.exports = { parseBenchArgs, usage, positiveInteger, PARTS };
