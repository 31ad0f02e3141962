// Writes the results: latest.json + a dated copy, latest.md (tables) and latest.svg (hand-drawn: a
// line chart of `pulumi up` wall time against resource count for ours, the minimal reference provider
// and the no-op baseline; beside it bars for P1's latency run and P6's whole group).
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

/** P1's tables: times and ratios per size, where ours spends its time, and the latency run. */
function p1Section(r) {
  const p1 = r.p1;
  if (!p1) return [];
  const lines = [
    `## P1 engine overhead (median of ${p1.pairs} rotating rounds: ours, the minimal reference provider, the no-op)`,
    "",
    "Every resource gives its ruleId (the reference cannot resolve one); emulator limit and our pacer off.",
    "",
    "| resources | ours (s) | reference (s) | no-op (s) | ours ÷ reference | ours ÷ no-op | reference ÷ no-op |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const row = (label, m, size) =>
    `| ${label} | ${fmt(m.oursSeconds[size])} | ${fmt(m.referenceSeconds?.[size])} | ${fmt(m.baselineSeconds[size])} | ` +
    `**${fmt(m.ratioToReference?.[size], 3)}** | ${fmt(m.ratio[size], 3)} | ${fmt(m.referenceRatio?.[size], 3)} |`;
  for (const size of Object.keys(p1.ratio)) lines.push(row(size, p1, size));
  const l = p1.latency;
  if (l) {
    const one = (v) => ({ [String(l.size)]: v });
    lines.push(
      row(
        `${l.size}, Graph answers +${l.latencyMs} ms`,
        {
          oursSeconds: one(l.oursSeconds),
          referenceSeconds: one(l.referenceSeconds),
          baselineSeconds: one(l.baselineSeconds),
          ratioToReference: one(l.ratioToReference),
          ratio: one(l.ratio),
          referenceRatio: one(l.referenceRatio),
        },
        String(l.size),
      ),
    );
  }
  lines.push(
    "",
    "| resources | ours: start → first Graph call (s) | reference: start → first Graph call (s) | ours: first call → last answer (s) | reference: first call → last answer (s) | ours: last answer → done (s) | reference: last answer → done (s) |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const size of Object.keys(p1.ratio)) {
    lines.push(
      `| ${size} | ${fmt(p1.oursFirstGraphCallSeconds?.[size])} | ${fmt(p1.referenceFirstGraphCallSeconds?.[size])} | ` +
        `${fmt(p1.oursGraphPhaseSeconds?.[size])} | ${fmt(p1.referenceGraphPhaseSeconds?.[size])} | ` +
        `${fmt(p1.oursAfterLastAnswerSeconds?.[size])} | ${fmt(p1.referenceAfterLastAnswerSeconds?.[size])} |`,
    );
  }
  const sizes = Object.keys(p1.ratio);
  const cpu = p1.cpuSeconds?.[sizes[sizes.length - 1]];
  if (cpu) {
    const label = { ours: "ours", reference: "reference", noop: "no-op" };
    lines.push(
      "",
      `CPU seconds per \`pulumi up\` of ${sizes[sizes.length - 1]} resources (medians; the benchmark process hosts the inline program):`,
      "",
      "| arm | dynamic provider | Pulumi CLI (engine) | emulator | benchmark process | all |",
      "|---|---:|---:|---:|---:|---:|",
      ...Object.entries(cpu).map(
        ([arm, c]) =>
          `| ${label[arm] ?? arm} | ${fmt(c.provider)} | ${fmt(c.cli)} | ${fmt(c.emulator)} | ${fmt(c.bench)} | ${fmt(c.provider + c.cli + c.emulator + c.bench)} |`,
      ),
    );
  }
  lines.push(
    "",
    `Targets: ours ÷ reference ≤ ${p1.referenceTarget?.maxRatio} at ${p1.referenceTarget?.size} — met: ${mark(p1.referenceTarget?.met)}` +
      (l ? `; with ${l.latencyMs} ms latency at ${l.size}: ${mark(l.target?.met)}` : "") +
      `; ours ÷ no-op ≤ ${p1.target.maxRatio} at ${p1.target.size} — met: ${mark(p1.target.met)} (report only).`,
    "",
  );
  return lines;
}

/** P2's table: one row per pacer arm. */
function p2Section(r) {
  if (!r.p2) return [];
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
  if (!r.p3) return [];
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
  if (!r.p4) return [];
  const rss = r.providerPeakRss;
  const ratio = (v, base) => (typeof v === "number" && base ? ` (×${(v / base).toFixed(2)})` : "");
  return [
    `## P4 state size and provider memory`,
    "",
    "| measure | ours | reference | no-op baseline | target |",
    "|---|---:|---:|---:|---|",
    `| \`__provider\` (bytes; stored twice per resource) | ${r.p4.providerBytes} | ${r.p4.referenceProviderBytes ?? "–"} | ${r.p4.baselineProviderBytes} | ≤ ${r.p4.maxProviderBytes}: ${mark(r.p4.providerBytes <= r.p4.maxProviderBytes)} |`,
    `| one resource in exported state (bytes, same inputs) | ${r.p4.resourceBytes}${ratio(r.p4.resourceBytes, r.p4.baselineResourceBytes)} | ${r.p4.referenceResourceBytes ?? "–"}${ratio(r.p4.referenceResourceBytes, r.p4.baselineResourceBytes)} | ${r.p4.baselineResourceBytes} | ≤ ${r.p4.maxResourceRatio} × no-op: ${mark(r.p4.resourceRatioMet)} |`,
    `| one resource, ruleId from the schema (P3's stack) | ${r.p4.resourceBytesRuleFromSchema} | – | – | – |`,
    `| whole deployment, ${r.p4.n} resources (bytes) | ${r.p4.deploymentBytes} | – | – | – |`,
    rss
      ? `| dynamic-provider peak RSS, ${rss.resources} resources (MiB) | ${fmt(r.providerPeakRssMiB, 1)} | ${fmt(rss.referencePeakMiB, 1)} | ${fmt(rss.baselinePeakMiB, 1)} | – |`
      : "| dynamic-provider peak RSS | – (P1 not run) | – | – | – |",
    "",
    r.targetsBroken.length === 0
      ? "All P3 count and P4 size targets met."
      : `Targets broken: ${r.targetsBroken.join("; ")}.`,
    "",
  ];
}

/** P6's table: the whole group, then the incremental update. */
function p6Section(r) {
  const p6 = r.p6;
  if (!p6) return [];
  return [
    `## P6 whole group (${p6.members} listed members = ${p6.requests} requests, emulator limit and pacer ${p6.rateLimit}, floor ${p6.floorSeconds} s; ${p6.runs.length} run${p6.runs.length === 1 ? "" : "s"})`,
    "",
    "| POST span / floor | `pulumi up` (s) | POSTs | 429 answers | failures (max) | output bytes per member | provider peak RSS (MiB) | +3 members: POSTs | +3 members: `pulumi up` (s) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${fmt(p6.wallOverFloor, 3)} | ${fmt(p6.upSeconds)} | ${p6.posts} | ${p6.throttled} | ${p6.failures} | ${fmt(p6.outputBytesPerMember, 1)} | ${fmt(p6.providerPeakRssMiB, 1)} | ${p6.update.posts ?? "–"} | ${fmt(p6.update.upSeconds)} |`,
    "",
    `Targets: POST span / floor ≤ ${p6.targets.maxWallOverFloor}, 0 failures, 429 answers ≤ ${p6.targets.maxThrottledShare * 100} % of POSTs, ` +
      `${p6.update.added} added members → ${p6.targets.updatePosts} POST — met: ${mark(p6.targets.met)} (report only).`,
    "",
  ];
}

/** The markdown summary. */
function markdown(r) {
  return [
    ...headerSection(r),
    ...p1Section(r),
    ...p2Section(r),
    ...p3Section(r),
    ...p4Section(r),
    ...p6Section(r),
  ].join("\n");
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

/** Series number `i`: its line, its points with their labels (unless `labels: false`), and its legend entry. */
function chartSeries(s, i, { margin, h, X, Y }) {
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
  const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
  const out = [`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.5"${dash}/>`];
  s.points.forEach(([x, y], k) => {
    out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="4" fill="${s.color}"/>`);
    if (s.labels === false) return;
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

/** The elements of a line chart (no `<svg>` wrapper): frame, then every series. */
function lineChartParts({ title, subtitle, xLabel, yLabel, series, width, height }) {
  const scale = chartScale(series, width, height);
  return [
    ...chartFrame({ title, subtitle, xLabel, yLabel, width }, scale),
    ...series.flatMap((s, i) => chartSeries(s, i, scale)),
  ];
}

/** An `<svg>` document of `width` × `height` holding `parts`. */
function svgDocument(width, height, parts) {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    "</svg>",
  ];
  return `${out.join("\n")}\n`;
}

/**
 * A line chart: wall time (s) of `pulumi up` against resource count, one line per series.
 * `series`: [{ label, color, dash?, points: [[x, y], …], notes?, labels? }].
 */
function lineChartSvg({ title, subtitle, xLabel, yLabel, series, width = 640, height = 420 }) {
  return svgDocument(
    width,
    height,
    lineChartParts({ title, subtitle, xLabel, yLabel, series, width, height }),
  );
}

/**
 * A block of horizontal bars at (`x`, `y`), `width` wide, on its own scale from 0, each bar's value
 * written after it: `bars`: [{ label, value, color, dash?, text }]; `notes` are lines under the title.
 * Returns the elements and the height used.
 */
function barBlock({ title, notes = [], bars, x, y, width }) {
  const labelW = 110;
  const textW = 120;
  const barH = 18;
  const gap = 8;
  const max = Math.max(...bars.map((b) => b.value ?? 0), 1e-9);
  const plotW = width - labelW - textW;
  const out = [`<text x="${x}" y="${y}" font-weight="bold">${esc(title)}</text>`];
  notes.forEach((note, k) =>
    out.push(`<text x="${x}" y="${y + 16 + k * 15}" fill="#555">${esc(note)}</text>`),
  );
  const top = y + 12 + notes.length * 15;
  bars.forEach((b, k) => {
    const by = top + k * (barH + gap);
    const w = Math.max(1, ((b.value ?? 0) / max) * plotW);
    const stroke = b.dash ? ` stroke="${b.color}" stroke-dasharray="${b.dash}" fill-opacity="0.35"` : "";
    out.push(
      `<text x="${x + labelW - 6}" y="${by + 13}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${x + labelW}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}"${stroke}/>`,
      `<text x="${(x + labelW + w + 5).toFixed(1)}" y="${by + 13}">${esc(b.text)}</text>`,
    );
  });
  return { parts: out, height: top - y + bars.length * (barH + gap) };
}

const COLORS = { ours: "#1f6fd1", reference: "#d9822b", noop: "#888888" };

/** The right-hand panel: P1's latency run and P6's whole group, as bars, each on its own scale. */
function sidePanel(r, x, width) {
  const parts = [];
  let y = 70;
  const l = r.p1?.latency;
  if (l) {
    const block = barBlock({
      title: `P1 latency run: ${l.size} resources, Graph +${l.latencyMs} ms`,
      notes: [`ours ÷ reference ${fmt(l.ratioToReference, 3)}, ours ÷ no-op ${fmt(l.ratio, 3)}`],
      bars: [
        { label: "ours", value: l.oursSeconds, color: COLORS.ours, text: `${fmt(l.oursSeconds)} s` },
        {
          label: "reference",
          value: l.referenceSeconds,
          color: COLORS.reference,
          text: `${fmt(l.referenceSeconds)} s`,
        },
        {
          label: "no-op",
          value: l.baselineSeconds,
          color: COLORS.noop,
          dash: "6 4",
          text: `${fmt(l.baselineSeconds)} s`,
        },
      ],
      x,
      y,
      width,
    });
    parts.push(...block.parts);
    y += block.height + 34;
  }
  const p6 = r.p6;
  if (p6) {
    const block = barBlock({
      title: `P6: a ${p6.members}-member group, ${p6.requests} requests at ${p6.rateLimit}`,
      notes: [
        `${p6.throttled} × 429, ${p6.failures} failed, ${fmt(p6.outputBytesPerMember, 0)} output bytes per member,`,
        `provider ${fmt(p6.providerPeakRssMiB, 0)} MiB; ${p6.update.added} members added: ${p6.update.posts} POST`,
      ],
      bars: [
        {
          label: "rate-limit floor",
          value: p6.floorSeconds,
          color: COLORS.noop,
          dash: "6 4",
          text: `${fmt(p6.floorSeconds, 1)} s`,
        },
        {
          label: "POST span",
          value: p6.postSpanSeconds,
          color: COLORS.ours,
          text: `${fmt(p6.postSpanSeconds)} s (×${fmt(p6.wallOverFloor, 3)})`,
        },
        { label: "pulumi up", value: p6.upSeconds, color: "#6aa0e0", text: `${fmt(p6.upSeconds)} s` },
      ],
      x,
      y,
      width,
    });
    parts.push(...block.parts);
  }
  return parts;
}

/** The chart: P1's three arms against resource count; beside it the latency run and P6, when measured. */
function chart(r) {
  const height = 440;
  const lineWidth = 640;
  const side = r.p1?.latency || r.p6 ? 440 : 0;
  if (!r.p1) return svgDocument(lineWidth, height, sidePanel(r, 24, lineWidth - 48));
  const sizes = Object.keys(r.p1.ratio)
    .map(Number)
    .sort((a, b) => a - b);
  const largest = String(sizes[sizes.length - 1]);
  const line = lineChartParts({
    title: "pulumi up wall time against resource count",
    subtitle: `median of ${r.p1.pairs} rotating rounds; at ${largest}: ours ÷ reference ${fmt(r.p1.ratioToReference?.[largest], 3)}, ours ÷ no-op ${fmt(r.p1.ratio[largest], 3)} (${r.pulumiVersion}, ${r.machine.nproc} CPUs${r.quick ? ", quick" : ""})`,
    xLabel: "resources created in one pulumi up (log scale)",
    yLabel: "wall time (s)",
    width: lineWidth,
    height,
    series: [
      {
        label: "SynchronizationJobProvisionOnDemand (emulator, rate limit and pacer off)",
        color: COLORS.ours,
        points: sizes.map((s) => [s, r.p1.oursSeconds[String(s)]]),
        notes: sizes.map((s) => `(÷ref ${fmt(r.p1.ratioToReference?.[String(s)])})`),
      },
      {
        label: "minimal hand-written provider (reference: identity + one fetch)",
        color: COLORS.reference,
        labels: false,
        points: sizes.map((s) => [s, r.p1.referenceSeconds?.[String(s)] ?? 0]),
      },
      {
        label: "no-op dynamic resource (baseline)",
        color: COLORS.noop,
        dash: "6 4",
        points: sizes.map((s) => [s, r.p1.baselineSeconds[String(s)]]),
      },
    ],
  });
  return svgDocument(lineWidth + side, height, [
    ...line,
    ...(side ? sidePanel(r, lineWidth + 10, side - 24) : []),
  ]);
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
