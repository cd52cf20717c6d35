// Prints benchmark rows as a Markdown table: our figure beside the same-run baseline and the ratio.
export interface BenchRow {
  name: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: string;
}

export function printTable(title: string, rows: BenchRow[]): void {
  const head = ['benchmark', 'consent-ledger', 'baseline (same run)', 'ratio', 'goal', 'met'];
  const lines = rows.map((r) => [r.name, r.ours, r.baseline, r.ratio, r.goal, r.met]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(fmt(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

export const fmtNum = (n: number, digits = 0) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
