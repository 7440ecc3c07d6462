/**
 * The HTML report: one self-contained page (inline SVG, inline CSS, no scripts, no network) with
 * every figure, a caption under each saying what it shows, and the main tables. Deterministic:
 * no timestamps, so the same inputs give the same bytes.
 */
import type { RunResult } from '../types/result.js';
import { workloadOf } from './trace-names.js';
import { strategyDomain } from './style.js';

export interface ReportFigure {
  name: string;
  title: string;
  caption: string;
  svg: string;
}

export interface ReportInput {
  profile: string;
  traces: string[];
  figures: ReportFigure[];
  results: readonly RunResult[];
  /** The replay's warnings (ring overflows, live buffers, ingest notes), shown above the figures. */
  warnings?: readonly string[];
}

/** Text from input (file names, strategy and profile ids) as HTML text or attribute value. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A workloads x strategies table of one value, as HTML: a row per workload, a column per
 * strategy in registry order (workloads as columns made the tables wider than the page once
 * there were more than a dozen traces; the strategies are ten). Built here rather than by
 * arquero's toHTML, which writes column names unescaped: every text from input (file names,
 * strategy ids of a results file) goes through esc().
 */
function pivotHtml(results: readonly RunResult[], value: (r: RunResult) => number | null, digits: number, suffix = ''): string {
  const present = [...new Set(results.map((r) => r.strategy))];
  // Registry order, then any strategy a results file names that this build does not know.
  const strategies = [...strategyDomain(present), ...present.filter((s) => !strategyDomain().includes(s))];
  const workloads = [...new Set(results.map((r) => workloadOf(r.trace)))];
  const cell = new Map(results.map((r) => [`${r.strategy}\0${workloadOf(r.trace)}`, value(r)]));
  const fmt = (v: number | null | undefined) => (typeof v === 'number' ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) + suffix : '–');
  const th = (text: string, align: string) => `<th style="text-align: ${align};">${esc(text)}</th>`;
  const td = (text: string, align: string) => `<td style="text-align: ${align};">${text}</td>`;
  const head = `<tr>${th('workload', 'left')}${strategies.map((s) => th(s, 'right')).join('')}</tr>`;
  const body = workloads.map((w) => `<tr>${td(esc(w), 'left')}${strategies.map((s) => td(esc(fmt(cell.get(`${s}\0${w}`))), 'right')).join('')}</tr>`).join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The warnings as a short list (none: nothing), every one escaped: they quote file names. */
function warningsHtml(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  return `<section id="warnings">
<h2>Warnings</h2>
<ul class="note">${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>
</section>`;
}

export function buildReport(input: ReportInput): string {
  const figures = input.figures
    .map(
      (f) => `<figure id="${esc(f.name)}">
<h2>${esc(f.title)}</h2>
<div class="svg">${f.svg}</div>
<figcaption>${esc(f.caption)}</figcaption>
</figure>`,
    )
    .join('\n');
  const r = input.results;
  const tables = `<section id="tables">
<h2>Tables</h2>
<h3>Cycles per DMA</h3>
${pivotHtml(r, (x) => x.cycles.per_dma, 0)}
<h3>CPU overhead over native</h3>
${pivotHtml(r, (x) => (x.overhead_vs_native === null ? null : x.overhead_vs_native * 100), 1, '%')}
<h3>Mapping reuse</h3>
${pivotHtml(r, (x) => (x.reuse_rate === null ? null : x.reuse_rate * 100), 1, '%')}
<h3>Hypercalls per DMA (– for native: no hypervisor)</h3>
${pivotHtml(r, (x) => (x.dmas > 0 && x.strategy !== 'native' ? x.hypercalls / x.dmas : null), 2)}
<h3>Bytes exposed beyond in-flight buffers (time average, KiB)</h3>
${pivotHtml(r, (x) => x.exposure.avg_bytes / 1024, 1)}
<p class="note">Every result field for every trace and strategy: <code>dmareplay replay ${esc(input.traces.join(' '))} --format csv</code>.</p>
</section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dmareplay report: DMA protection strategies</title>
<style>
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
.meta { color: #555; margin-top: 0; }
figure { margin: 0 0 2rem; border-top: 1px solid #ddd; }
.svg svg { max-width: 100%; height: auto; }
figcaption { color: #444; max-width: 70rem; line-height: 1.45; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.2rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: 0.9rem; }
nav a { margin-right: 1rem; }
</style>
</head>
<body>
<h1>DMA protection strategies: cost and protection</h1>
<p class="meta">Profile <code>${esc(input.profile)}</code>; traces: ${input.traces.map((t) => `<code>${esc(t)}</code>`).join(', ')}. Made by <code>dmareplay figures</code>.</p>
${warningsHtml(input.warnings ?? [])}
<nav>${input.figures.map((f) => `<a href="#${esc(f.name)}">${esc(f.title)}</a>`).join(' ')} <a href="#tables">Tables</a></nav>
${figures}
${tables}
</body>
</html>
`;
}
