// Writes the results: latest.json + a dated copy, latest.md (tables) and latest.svg (a hand-drawn
// line chart of `pulumi up` wall time against resource count, ours and the no-op baseline).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** A number with `digits` decimals, or "–". */
const fmt = (v, digits = 2) => (typeof v === "number" ? v.toFixed(digits) : "–");
/** A met/not met mark for the tables. */
const mark = (ok) => (ok === null || ok === undefined ? "–" : ok ? "yes" : "**no**");

/** The heading and the line that says where and when the results were measured. */
function headerSection(r) {
  const m = r.machine;
  return [
    `# Benchmark results${r.quick ? " (quick)" : ""}`,
    "",
    `${r.date.slice(0, 10)}, commit ${r.commit ?? "?"}${r.uncommittedChanges?.length ? ` (+ ${r.uncommittedChanges.length} uncommitted tracked files)` : ""}, Pulumi CLI ${r.pulumiVersion}, @pulumi/pulumi ${r.pulumiSdkVersion}, ` +
      `Node ${m.node}, ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}. Load average (1/5/15 min) ${m.loadAverageAtStart?.join(" / ")} at start, ${r.loadAverageAtEnd?.join(" / ") ?? "?"} at the end. Run took ${r.durationSeconds} s.`,
    "",
  ];
}

/** P1's table: times and ratios per size. */
function p1Section(r) {
  const lines = [
    `## P1 engine overhead (median of ${r.p1.pairs} alternating pairs)`,
    "",
    "| resources | ours `pulumi up` (s) | no-op baseline (s) | ratio (median of pair ratios) | ours: start → first Graph call (s) | ours: first call → last answer (s) | ours: last answer → done (s) | POST time in the emulator (ms, median) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const size of Object.keys(r.p1.ratio)) {
    lines.push(
      `| ${size} | ${fmt(r.p1.oursSeconds[size])} | ${fmt(r.p1.baselineSeconds[size])} | ${fmt(r.p1.ratio[size], 3)} | ` +
        `${fmt(r.p1.oursFirstGraphCallSeconds?.[size])} | ${fmt(r.p1.oursGraphPhaseSeconds?.[size])} | ${fmt(r.p1.oursAfterLastAnswerSeconds?.[size])} | ${fmt(r.p1.oursPostServerMsMedian?.[size], 1)} |`,
    );
  }
  lines.push(
    "",
    `Target: ratio at ${r.p1.target.size} ≤ ${r.p1.target.maxRatio} — met: ${mark(r.p1.target.met)} (report only).`,
    "",
  );
  return lines;
}

/** P2's table: one row per pacer arm. */
function p2Section(r) {
  const row = (label, p) =>
    `| ${label} | ${fmt(p.wallOverFloor, 3)} | ${fmt(p.upWallOverFloor, 2)} | ${fmt(p.postSpanSeconds)} | ${fmt(p.upSeconds)} | ${p.posts} | ${p.throttled} | ${p.failures} |`;
  return [
    `## P2 paced throughput (${r.p2.n} subjects, emulator limit ${r.p2.rateLimit}, floor ${r.p2.floorSeconds} s; median of ${r.p2.runs.length} runs per arm)`,
    "",
    "| our pacer | POST span / floor | `pulumi up` / floor | POST span (s) | `pulumi up` (s) | POSTs | 429 answers | failures (max) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row(r.p2.pacer, r.p2),
    row("off", r.p2.pacerOff),
    "",
    `Targets (pacer on): POST span / floor ≤ ${r.p2.targets.maxWallOverFloor}, 0 failures, 429 answers ≤ ${r.p2.targets.maxThrottledShare * 100} % of POSTs — met: ${mark(r.p2.targets.met)} (report only).`,
    "",
  ];
}

/** P3's table: Graph calls per phase against the target. */
function p3Section(r) {
  const lines = [
    `## P3 Graph calls per phase (${r.p3.n} resources, one credential, one job)`,
    "",
    "| phase | token requests | schema GETs | provisionOnDemand POSTs | target (token/schema/post) | met |",
    "|---|---:|---:|---:|---|---|",
  ];
  for (const phase of ["preview", "up", "upUnchanged", "refresh", "destroy"]) {
    const c = r.p3[phase];
    const e = r.p3.expected[phase];
    const ok = c.token === e.token && c.schema === e.schema && c.post === e.post;
    lines.push(
      `| ${phase} | ${c.token} | ${c.schema} | ${c.post} | ${e.token} / ${e.schema} / ${e.post} | ${mark(ok)} |`,
    );
  }
  lines.push("");
  return lines;
}

/** P4's table (state sizes, provider memory) and the verdict on the targets. */
function p4Section(r) {
  const rss = r.providerPeakRss;
  const baselineRss = Math.max(...rss.baselineMiB.filter((v) => typeof v === "number"));
  return [
    `## P4 state size and provider memory`,
    "",
    "| measure | ours | no-op baseline | target |",
    "|---|---:|---:|---|",
    `| \`__provider\` (bytes) | ${r.p4.providerBytes} | ${r.p4.baselineProviderBytes} | ≤ ${r.p4.maxProviderBytes}: ${mark(r.p4.met)} |`,
    `| whole resource in exported state (bytes, largest) | ${r.p4.resourceBytes} | ${r.p4.baselineResourceBytes} | – |`,
    `| whole deployment, ${r.p4.n} resources (bytes) | ${r.p4.deploymentBytes} | – | – |`,
    `| dynamic-provider peak RSS, ${rss.resources} resources (MiB) | ${fmt(r.providerPeakRssMiB, 1)} | ${fmt(baselineRss, 1)} | – |`,
    "",
    r.targetsBroken.length === 0
      ? "All P3 count and P4 size targets met."
      : `Targets broken: ${r.targetsBroken.join("; ")}.`,
    "",
  ];
}

/** The markdown summary. */
function markdown(r) {
  return [...headerSection(r), ...p1Section(r), ...p2Section(r), ...p3Section(r), ...p4Section(r)].join("\n");
}

/** Text escaped for SVG. */
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A "nice" tick step for a range. */
function niceStep(max, ticks = 5) {
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((f) => f * pow).find((s) => s >= raw);
}

/**
 * The plot area and scales of a chart of `series`: X is logarithmic when the x values span 10× or
 * more (resource counts 1…50 keep the small sizes apart; padded so no point sits on an axis), Y runs
 * from 0 in "nice" steps.
 */
function chartScale(series, width, height) {
  const margin = { left: 64, right: 32, top: 56, bottom: 56 + 18 * series.length };
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(...xs, 1);
  const yStep = niceStep(Math.max(...ys, 1) * 1.1);
  const yMax = Math.ceil((Math.max(...ys, 1) * 1.1) / yStep) * yStep;
  const xMin = Math.min(...xs, xMax);
  const logScale = xMin >= 1 && xMax / xMin >= 10;
  const lo = logScale ? Math.log(xMin / 1.6) : 0;
  const hi = logScale ? Math.log(xMax * 1.15) : xMax * 1.05;
  const X = (x) => margin.left + (((logScale ? Math.log(x) : x) - lo) / (hi - lo)) * w;
  const Y = (y) => margin.top + h - (y / yMax) * h;
  return { margin, w, h, xs, yMax, yStep, X, Y };
}

/** The chart's title, grid lines, ticks, axes and axis labels. */
function chartFrame({ title, subtitle, xLabel, yLabel, width }, { margin, w, h, xs, yMax, yStep, X, Y }) {
  const out = [
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  if (subtitle)
    out.push(`<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(
      `<line x1="${margin.left}" y1="${Y(y).toFixed(1)}" x2="${margin.left + w}" y2="${Y(y).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${(Y(y) + 4).toFixed(1)}" text-anchor="end">${+y.toFixed(2)}</text>`,
    );
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(
      `<line x1="${X(x).toFixed(1)}" y1="${margin.top + h}" x2="${X(x).toFixed(1)}" y2="${margin.top + h + 5}" stroke="#333"/>`,
      `<text x="${X(x).toFixed(1)}" y="${margin.top + h + 19}" text-anchor="middle">${x}</text>`,
    );
  }
  out.push(
    `<line x1="${margin.left}" y1="${margin.top + h}" x2="${margin.left + w}" y2="${margin.top + h}" stroke="#333"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + h}" stroke="#333"/>`,
    `<text x="${margin.left + w / 2}" y="${margin.top + h + 38}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(18 ${margin.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  return out;
}

/** Series number `i`: its line, its points with their labels, and its legend entry. */
function chartSeries(s, i, { margin, h, X, Y }) {
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
  const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
  const out = [`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.5"${dash}/>`];
  s.points.forEach(([x, y], k) => {
    out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="4" fill="${s.color}"/>`);
    const dy = i === 0 ? -10 : 18;
    const last = k === s.points.length - 1 && s.points.length > 1;
    const label = `${y.toFixed(2)} s${s.notes?.[k] ? ` ${s.notes[k]}` : ""}`;
    out.push(
      `<text x="${X(x).toFixed(1)}" y="${(Y(y) + dy).toFixed(1)}" text-anchor="${last ? "end" : "middle"}" fill="${s.color}">${esc(label)}</text>`,
    );
  });
  const ly = margin.top + h + 58 + i * 18;
  out.push(
    `<line x1="${margin.left + 14}" y1="${ly}" x2="${margin.left + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"${dash}/>`,
    `<text x="${margin.left + 46}" y="${ly + 4}">${esc(s.label)}</text>`,
  );
  return out;
}

/**
 * A line chart: wall time (s) of `pulumi up` against resource count, one line per series.
 * `series`: [{ label, color, dash?, points: [[x, y], …], notes? }].
 */
function lineChartSvg({ title, subtitle, xLabel, yLabel, series, width = 640, height = 420 }) {
  const scale = chartScale(series, width, height);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...chartFrame({ title, subtitle, xLabel, yLabel, width }, scale),
    ...series.flatMap((s, i) => chartSeries(s, i, scale)),
    "</svg>",
  ];
  return `${out.join("\n")}\n`;
}

/** The P1 chart. */
function chart(r) {
  const sizes = Object.keys(r.p1.ratio)
    .map(Number)
    .sort((a, b) => a - b);
  const largest = String(sizes[sizes.length - 1]);
  return lineChartSvg({
    title: "pulumi up wall time against resource count",
    subtitle: `median of ${r.p1.pairs} alternating pairs; ratio at ${largest}: ${r.p1.ratio[largest]} (${r.pulumiVersion}, ${r.machine.nproc} CPUs${r.quick ? ", quick" : ""})`,
    xLabel: "resources created in one pulumi up (log scale)",
    yLabel: "wall time (s)",
    series: [
      {
        label: "SynchronizationJobProvisionOnDemand (emulator, rate limit and pacer off)",
        color: "#1f6fd1",
        points: sizes.map((s) => [s, r.p1.oursSeconds[String(s)]]),
        notes: sizes.map((s) => `(×${r.p1.ratio[String(s)].toFixed(2)})`),
      },
      {
        label: "no-op dynamic resource (baseline)",
        color: "#888888",
        dash: "6 4",
        points: sizes.map((s) => [s, r.p1.baselineSeconds[String(s)]]),
      },
    ],
  });
}

/** Writes every output file; returns their paths. */
function writeResults(results, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const files = {
    "latest.json": json,
    [`${results.date.slice(0, 10)}.json`]: json,
    "latest.md": markdown(results),
    "latest.svg": chart(results),
  };
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
}

module.exports = { writeResults, markdown, lineChartSvg };
