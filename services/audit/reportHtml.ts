// The audit report as ONE self-contained HTML file: inline CSS and inline SVG charts, no script, no
// network (it must open on an air-gapped auditor's machine and print as it looks).
import { HOLDER_PROGRESS, isAcknowledged } from '../../contracts/consent/lifecycle.js';
import type { AuditReport } from './report.js';

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (n: number, d: number) => (d === 0 ? '0 %' : `${((100 * n) / d).toFixed(1)} %`);
const PALETTE = [
  '#1b6ca8',
  '#e07a1f',
  '#2e9e5b',
  '#c0392b',
  '#8e44ad',
  '#7f8c8d',
  '#d4ac0d',
  '#16a085',
  '#b03a6b',
  '#34495e',
  '#a04000',
  '#5d6d7e',
  '#117a65',
  '#6c3483',
  '#1f618d',
  '#9c640c',
  '#922b21',
  '#196f3d',
];

function stackedBars(byDay: AuditReport['summary']['byDay']): string {
  const days = Object.keys(byDay).sort();
  if (days.length === 0) return '<p class="muted">No events.</p>';
  const types = [...new Set(days.flatMap((d) => Object.keys(byDay[d]!)))].sort();
  const max = Math.max(...days.map((d) => Object.values(byDay[d]!).reduce((a, b) => a + b, 0)));
  const W = 760,
    H = 240,
    left = 48,
    bottom = 40,
    plotW = W - left - 10,
    plotH = H - bottom - 10;
  const bw = Math.max(2, Math.min(40, plotW / days.length - 4));
  const bars = days
    .map((d, i) => {
      let y = 10 + plotH;
      const x = left + i * (plotW / days.length) + 2;
      const segs = types
        .map((t, ti) => {
          const n = byDay[d]![t] ?? 0;
          if (n === 0) return '';
          const h = (n / max) * plotH;
          y -= h;
          return (
            `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" ` +
            `fill="${PALETTE[ti % PALETTE.length]!}"><title>${esc(d)} ${esc(t)}: ${n}</title></rect>`
          );
        })
        .join('');
      const label =
        days.length <= 16 || i % Math.ceil(days.length / 16) === 0
          ? `<text x="${(x + bw / 2).toFixed(1)}" y="${H - bottom + 14}" class="tick" text-anchor="middle">${esc(d.slice(5))}</text>`
          : '';
      return segs + label;
    })
    .join('');
  const legend = types
    .map((t, ti) => `<span class="key"><i style="background:${PALETTE[ti % PALETTE.length]!}"></i>${esc(t)}</span>`)
    .join(' ');
  return (
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="events per day by type">
  <line x1="${left}" y1="10" x2="${left}" y2="${10 + plotH}" class="axis"/><line x1="${left}" y1="${10 + plotH}" ` +
    `x2="${W - 10}" y2="${10 + plotH}" class="axis"/>
  <text x="${left - 6}" y="16" class="tick" text-anchor="end">${max}</text><text x="${left - 6}" y="${10 + plotH}" class="tick" text-anchor="end">0</text>
  ${bars}</svg><div class="legend">${legend}</div>`
  );
}

function histogram(hours: number[]): string {
  if (hours.length === 0) return '<p class="muted">No completed withdrawal yet.</p>';
  const edges = [1, 24, 72, 168, 336, 720, Infinity];
  const labels = ['< 1 h', '1–24 h', '1–3 d', '3–7 d', '7–14 d', '14–30 d', '> 30 d'];
  const counts = labels.map(() => 0);
  for (const h of hours) counts[edges.findIndex((e) => h < e)]!++;
  // 20 px of head room above the plot: the tallest bar's count label sits there.
  const W = 760,
    H = 230,
    left = 48,
    bottom = 34,
    top = 20,
    plotW = W - left - 10,
    plotH = H - bottom - top;
  const max = Math.max(...counts);
  const step = plotW / labels.length;
  const bars = counts
    .map((n, i) => {
      const h = (n / max) * plotH;
      const x = left + i * step + 8;
      return (
        `<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(step - 16).toFixed(1)}" ` +
        `height="${h.toFixed(1)}" fill="${i >= 5 ? '#c0392b' : '#1b6ca8'}"><title>${labels[i]!}: ${n}</title></rect>
<text x="${(x + (step - 16) / 2).toFixed(1)}" y="${(top - 4 + plotH - h).toFixed(1)}" class="tick" text-anchor="middle">${n}</text>
<text x="${(x + (step - 16) / 2).toFixed(1)}" y="${H - bottom + 16}" class="tick" text-anchor="middle">${labels[i]!}</text>`
      );
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="withdrawal propagation times">
  <line x1="${left}" y1="${top + plotH}" x2="${W - 10}" y2="${top + plotH}" class="axis"/>${bars}</svg>`;
}

/** A table of header names and rows of already escaped cells. */
function table(headers: string[], rows: string[][]): string {
  const cells = (tag: string, row: string[]) => row.map((c) => `<${tag}>${c}</${tag}>`).join('');
  return `<table><tr>${cells('th', headers)}</tr>${rows.map((r) => `<tr>${cells('td', r)}</tr>`).join('')}</table>`;
}

/** Each a violation by the releasing organisation: the data was released while a refusal covering it stood. */
function releasesAfterRefusalTable(list: AuditReport['summary']['releasesAfterRefusal']): string {
  if (list.length === 0) return '<p class="ok">None.</p>';
  const rows = list.map((v) => [
    esc(v.releasedBy),
    esc(v.dataUserId),
    esc(v.subject),
    esc(v.releaseEventId),
    esc(v.releaseRecordedAt),
    `${esc(v.refusalKind)} ${esc(v.refusalId)} (${esc(v.refusalOccurredAt)})`,
    esc(v.notice),
  ]);
  const headers = ['released by', 'to data user', 'subject', 'release event', 'recorded at', 'refusal', 'notice'];
  return (
    `<p class="bad">${String(list.length)} release(s) recorded after a withdrawal or national opt-out that covered ` +
    'them. Each data user was sent its own revocation notice.</p>\n' +
    table(headers, rows)
  );
}

/** What a data user attested, in one cell (escaped). */
function attested(a: AuditReport['summary']['withdrawals'][number]['holders'][number]['attestation']): string {
  if (!a) return '';
  const basis =
    a.action === 'retained'
      ? ` ${esc(a.retained)} under ${esc(a.legalBasis)}${a.basisReference === undefined ? '' : ` (${esc(a.basisReference)})`}`
      : '';
  const evidence = a.evidenceSha256 === undefined ? '' : ` · evidence sha256 ${esc(a.evidenceSha256.slice(0, 16))}…`;
  return `${esc(a.action)}${basis} at ${esc(a.performedAt)} by ${esc(a.performedBy.role)}${evidence}`;
}

/** Every holder by what it attested (lifecycle HOLDER_PROGRESS), and each acknowledgement's attestation. */
function attestations(withdrawals: AuditReport['summary']['withdrawals']): string {
  const rows = withdrawals.flatMap((w) => w.holders.map((h) => ({ w, h })));
  if (rows.length === 0) return '<p class="muted">No data user held a withdrawn subject’s data.</p>';
  const counts = table(
    HOLDER_PROGRESS.map((s) => esc(s)),
    [HOLDER_PROGRESS.map((s) => String(rows.filter(({ h }) => h.status === s).length))],
  );
  const acknowledged = rows.filter(({ h }) => isAcknowledged(h.status));
  if (acknowledged.length === 0) return counts;
  const tone = (s: string) => (s === 'attested-deleted' ? 'ok' : s === 'retained-with-basis' ? 'warn' : 'bad');
  return `${counts}\n${table(
    ['withdrawal', 'data user', 'outcome', 'attested'],
    acknowledged.map(({ w, h }) => [
      esc(w.withdrawalId),
      esc(h.dataUserId),
      `<span class="${tone(h.status)}">${esc(h.status)}</span>`,
      attested(h.attestation),
    ]),
  )}`;
}

export function renderReportHtml(r: AuditReport): string {
  const v = r.verification;
  const s = r.summary;
  const overdue = s.withdrawals.flatMap((w) => w.holders.filter((h) => h.status === 'overdue').map((h) => ({ w, h })));
  const byStatus = s.withdrawals.reduce<Record<string, number>>(
    (m, w) => ({ ...m, [w.status]: (m[w.status] ?? 0) + 1 }),
    {},
  );
  const hours = s.withdrawals.flatMap((w) => (w.propagationHours === undefined ? [] : [w.propagationHours]));
  const median = hours.length ? [...hours].sort((a, b) => a - b)[Math.floor(hours.length / 2)]! : undefined;
  const verdict = v.ok
    ? `<p class="ok">✔ Verified: ${v.totals.sealedRecords} of ${v.totals.records} records are sealed by ` +
      `${v.totals.checkpoints} checkpoints signed with the trusted key; nothing was changed, inserted, reordered or removed.</p>`
    : `<p class="bad">✘ Verification FAILED: ${v.problems.length} problem(s).</p>` +
      table(
        ['partition', 'offset', 'kind', 'detail'],
        v.problems.map((p) => [String(p.partition), esc(p.offset), esc(p.kind), esc(p.detail)]),
      );
  const overdueTable =
    overdue.length === 0
      ? '<p class="ok">None.</p>'
      : table(
          ['withdrawal', 'subject', 'data user', 'withdrawn at'],
          overdue.map(({ w, h }) => [esc(w.withdrawalId), esc(w.subject), esc(h.dataUserId), esc(w.occurredAt)]),
        );
  return (
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Consent ledger audit report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,"DejaVu Sans",sans-serif;margin:24px auto;max-width:860px;color:#1c2833}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d8dc;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d5d8dc;padding:3px 8px;text-align:left}th{background:#f4f6f7}
.ok{color:#1e8449;font-weight:600}.bad{color:#c0392b;font-weight:600}.warn{color:#8a5a00;font-weight:600}.muted{color:#7f8c8d}
.axis{stroke:#566573}.tick{font-size:11px;fill:#566573}.legend{font-size:12px}.key{margin-right:10px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
</style></head><body>
<h1>Consent ledger — audit report</h1>
<p class="muted">Generated ${esc(r.generatedAt)} · ledger topic <code>${esc(v.ledgerTopic)}</code> · checkpoints ` +
    `<code>${esc(v.checkpointsTopic)}</code> · trusted key <code>${esc(r.trustedKeyId.slice(0, 16))}…</code></p>
<h2>Verification</h2>${verdict}
<table><tr><th>records</th><th>sealed</th><th>not yet sealed</th><th>checkpoints</th><th>physical duplicates</th><th>poison records</th></tr>
<tr><td>${v.totals.records}</td><td>${v.totals.sealedRecords}</td><td>${v.totals.unsealed}</td>` +
    `<td>${v.totals.checkpoints}</td><td>${v.totals.duplicates}</td><td>${s.poison}</td></tr></table>
<h2>Events by type over time</h2>${stackedBars(s.byDay)}
<h2>Opt-out and withdrawal rates</h2>
<table><tr><th>subjects</th><th>with an opt-out</th><th>with a withdrawal</th></tr>
<tr><td>${s.subjects}</td><td>${s.subjectsWithOptOut} (${pct(s.subjectsWithOptOut, s.subjects)})</td>` +
    `<td>${s.subjectsWithWithdrawal} (${pct(s.subjectsWithWithdrawal, s.subjects)})</td></tr></table>
<h2>Withdrawal propagation</h2>
<p>${s.withdrawals.length} withdrawal(s): ${
      Object.entries(byStatus)
        .map(([k, n]) => `${esc(k)} ${n}`)
        .join(' · ') || 'none'
    }${median !== undefined ? ` · median time to complete ${median.toFixed(1)} h` : ''}</p>
${histogram(hours)}
<h2>Releases after refusal</h2>
${releasesAfterRefusalTable(s.releasesAfterRefusal)}
<h2>What data users attested</h2>
${attestations(s.withdrawals)}
<h2>Overdue holders</h2>
${overdueTable}
</body></html>
`
  );
}
