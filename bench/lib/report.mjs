// Turns rounds of measurements into the figures (median and min–max of per-round ratios), and
// prints them as a table, Markdown and JSON.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function spread(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

const group = (n) => Math.round(n).toLocaleString('en-US');

export function fmt(value, unit) {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'req/s':
      return `${group(value)} req/s`;
    case 'ms':
      return `${value.toFixed(3)} ms`;
    case '+ms':
      return `${value >= 0 ? '+' : ''}${value.toFixed(3)} ms`;
    case 'MB':
      return `${(value / 1024 / 1024).toFixed(1)} MB`;
    case 'x':
      return value.toFixed(2);
    default:
      return String(value);
  }
}

/**
 * A figure as it appears in the table.
 * @typedef {object} Figure
 * @property {string} id
 * @property {string} figure       what is measured
 * @property {{ median:number, min:number, max:number }|undefined} value
 * @property {string} valueUnit
 * @property {{ median:number, min:number, max:number }|undefined} baseline
 * @property {string} baselineLabel
 * @property {{ median:number, min:number, max:number, n:number }|undefined} ratio   per-round ratio (or difference)
 * @property {string} ratioUnit     'x' for a ratio, '+ms' for a difference
 * @property {{ op: '>=' | '<=', target: number, unit: string }|undefined} goal
 */

export function goalMet(figure) {
  if (!figure.goal) return undefined;
  const subject = figure.goal.on === 'value' ? figure.value?.median : figure.ratio?.median;
  if (!Number.isFinite(subject)) return undefined;
  return figure.goal.op === '>=' ? subject >= figure.goal.target : subject <= figure.goal.target;
}

function goalText(goal) {
  if (!goal) return '— (record)';
  const symbol = goal.op === '>=' ? '≥' : '≤';
  if (goal.unit === 'MB') return `${symbol} ${goal.target / 1024 / 1024} MB`;
  if (goal.unit === '+ms') return `${symbol} +${goal.target} ms`;
  return `${symbol} ${goal.target}`;
}

function rangeText(stats, unit) {
  if (!stats) return '—';
  if (stats.n === undefined || stats.n <= 1 || stats.min === stats.max) return fmt(stats.median, unit);
  return `${fmt(stats.median, unit)} (${fmt(stats.min, unit)} – ${fmt(stats.max, unit)})`;
}

export function tableRows(figures) {
  return figures.map((f) => {
    const met = goalMet(f);
    return {
      figure: f.figure,
      value: f.value ? fmt(f.value.median, f.valueUnit) : '—',
      baseline: f.baseline ? `${fmt(f.baseline.median, f.valueUnit)} ${f.baselineLabel}` : f.baselineLabel || '—',
      ratio: rangeText(f.ratio, f.ratioUnit),
      goal: goalText(f.goal),
      met: met === undefined ? '—' : met ? 'yes' : 'NO',
    };
  });
}

const COLUMNS = [
  ['figure', 'figure'],
  ['value', 'value (median)'],
  ['baseline', 'baseline (median)'],
  ['ratio', 'ratio: median (min – max)'],
  ['goal', 'goal'],
  ['met', 'met?'],
];

export function textTable(rows, columns = COLUMNS) {
  const widths = columns.map(([key, title]) => Math.max(title.length, ...rows.map((r) => String(r[key]).length)));
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ');
  return [line(columns.map(([, title]) => title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map(([key]) => r[key])))].join('\n');
}

export function markdownTable(rows, columns = COLUMNS) {
  const escape = (cell) => String(cell).replaceAll('|', '\\|');
  return [
    `| ${columns.map(([, title]) => title).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map(([key]) => escape(r[key])).join(' | ')} |`),
  ].join('\n');
}
