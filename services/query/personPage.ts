// The person's own page: the transparency view (contracts/transparency.ts) as server-rendered HTML.
// No JavaScript, no external resources, one column that reads on a phone; plain English; WCAG 2.2 AA
// (checked with axe-core in headless Chromium: person.int.spec.ts).
import type { ReadWhat, SubjectTransparency } from '../../contracts/transparency.js';
import type { DataUserCategory } from '../../contracts/consent/vocabulary.js';
import type { AttesterRole, RetainedItem, RetentionBasis } from '../../contracts/consent/attestation.js';

const ATTESTER_ROLE_WORDS: Record<AttesterRole, string> = {
  'data-protection-officer': 'data protection officer',
  'information-governance-lead': 'information governance lead',
  'data-custodian': 'data custodian',
  'principal-investigator': 'principal investigator',
  'system-administrator': 'system administrator',
  'automated-process': 'an automated process',
};
const RETAINED_WORDS: Record<RetainedItem, string> = {
  'trained-model': 'an AI model trained with your data, which cannot forget it',
  'derived-data': 'data made from yours',
  'aggregate-results': 'combined results that include your data',
  'released-data': 'the data it received',
};
const BASIS_WORDS: Record<RetentionBasis, string> = {
  'legal-obligation': 'the law requires it to',
  'public-health': 'it is needed for public health',
  'research-impossible-without': 'deleting it would make the research impossible or seriously harm it',
  'legal-claims': 'it is needed for legal claims',
};

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const when = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)) +
  ' UTC';
const time = (iso: string) => `<time datetime="${esc(iso)}">${esc(when(iso))}</time>`;

const READ_WORDS: Record<ReadWhat, string> = {
  consent: 'looked at your choices',
  timeline: 'looked at everything recorded about you',
  fhir: 'took a copy of your choices (FHIR export)',
  transparency: 'looked at this overview',
  lookup: 'found your record by your NHS number',
  'transparency-link': 'made a link to this page for you',
};
const CATEGORY_WORDS: Record<DataUserCategory, string> = {
  nhs: 'An NHS',
  academic: 'An academic',
  commercial: 'A commercial',
};

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:"DejaVu Sans",Arial,sans-serif;font-size:1.125rem;line-height:1.5;color:#0b0c0c;background:#fff}
header,main,footer{max-width:44rem;margin:0 auto;padding:1rem}
header{border-bottom:4px solid #005eb8}
h1{font-size:1.75rem;margin:.5rem 0}
h2{font-size:1.375rem;margin:2rem 0 .5rem;border-bottom:1px solid #b1b4b6}
h3{font-size:1.125rem;margin:0 0 .25rem}
ul.cards{list-style:none;padding:0;margin:0}
ul.cards>li{border:1px solid #b1b4b6;border-left:6px solid #005eb8;padding:.75rem;margin:0 0 .75rem;overflow-wrap:anywhere}
li.deny{border-left-color:#a8180d}
p{margin:.25rem 0}
.meta{color:#4c5154;font-size:1rem}
ul.holders{padding-left:1.25rem;margin:.25rem 0}
a{color:#004b91}
`;

function section(title: string, empty: string, items: string[]): string {
  return `<section aria-labelledby="${esc(title.toLowerCase().replace(/\W+/g, '-'))}">
<h2 id="${esc(title.toLowerCase().replace(/\W+/g, '-'))}">${esc(title)}</h2>
${items.length === 0 ? `<p>${esc(empty)}</p>` : `<ul class="cards">${items.join('\n')}</ul>`}
</section>`;
}

function attestationWords(
  a: NonNullable<SubjectTransparency['withdrawals'][number]['holders'][number]['attestation']>,
) {
  const by = `by ${a.performedBy.role === 'automated-process' ? '' : 'the '}${ATTESTER_ROLE_WORDS[a.performedBy.role]}, ${when(a.performedAt)}`;
  if (a.action === 'retained') {
    const ref = a.basisReference ? ` (reference ${a.basisReference})` : '';
    return `It keeps ${RETAINED_WORDS[a.retained]} because ${BASIS_WORDS[a.legalBasis]}${ref}; stated ${by}.`;
  }
  return `${a.action === 'deleted' ? 'Your data was deleted' : 'Your data and everything made from it was deleted'} ${by}.`;
}

export function personPage(v: SubjectTransparency): string {
  const choices = v.choices.map((c) => {
    const allowed = c.now.decision === 'permit';
    const reasons = c.now.reasons.map((r) => `<li>${esc(r.message)}</li>`).join('');
    return `<li class="${allowed ? 'permit' : 'deny'}"><h3>${esc(c.summary)}</h3>
<p>Made by ${esc(c.expressedBy)} on ${time(c.occurredAt)}. Now: ${esc(c.status)}.</p>
<p>Right now, use of your ${esc(c.now.dataCategory)} data for ${esc(c.now.purpose)} by ${esc(c.now.dataUserCategory)} users in ${esc(
      c.now.jurisdiction,
    )} is <strong>${allowed ? 'allowed' : 'not allowed'}</strong>${allowed ? '' : ', because:'}</p>
<ul class="holders">${reasons}</ul></li>`;
  });
  const releases = v.releases.map(
    (r) => `<li><h3>${esc(r.dataUserName ?? r.dataUserId)}</h3>
<p>Received your ${esc(r.dataCategories.join(', '))} data on ${time(r.occurredAt)} for ${esc(r.purpose)}.</p>
<p class="meta">${r.dataUserCategory ? `${esc(CATEGORY_WORDS[r.dataUserCategory])} organisation` : 'An organisation'}${
      r.jurisdiction ? ` in ${esc(r.jurisdiction)}` : ''
    }. Approval: ${esc(r.approvalReference ?? 'none on record')}. Release ${esc(r.releaseId)}.</p></li>`,
  );
  const withdrawals = v.withdrawals.map((w) => {
    const holders = w.holders
      .map(
        (h) =>
          `<li><strong>${esc(h.name ?? h.dataUserId)}</strong>: ${esc(h.statusWords)}${
            h.attestation ? ` ${esc(attestationWords(h.attestation))}` : ''
          }${h.status === 'overdue' && h.dueBy ? ` It had to answer by ${time(h.dueBy)}.` : ''}</li>`,
      )
      .join('');
    return `<li><h3>Withdrawal of ${time(w.occurredAt)}</h3>
<p>Status: ${esc(w.status)}.${w.holders.length === 0 ? ' No organisation held your data under it.' : ' Organisations told:'}</p>
${holders ? `<ul class="holders">${holders}</ul>` : ''}</li>`;
  });
  const reads = v.reads.map(
    (r) => `<li><p><strong>${esc(r.reader)}</strong> (${esc(r.role)}) ${esc(READ_WORDS[r.what])} on ${time(r.at)}.</p>
<p class="meta">Reason given: ${esc(r.why === 'not-given' ? 'none given' : r.why)}.</p></li>`,
  );
  const history = v.history.map(
    (h) => `<li><p>${esc(h.words)} on ${time(h.occurredAt)}</p><p class="meta">Recorded by ${esc(h.by)}.</p></li>`,
  );
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Your health data choices</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Your health data choices</h1>
<p>What you chose about the use of your health data for research and AI, who received it, and who looked at your record. As of ${time(v.asOf)}.</p></header>
<main>
${section('Your choices', 'You have not recorded any choice. The default rules apply.', choices)}
${section('Who received your data', 'Your data has not been released to anyone.', releases)}
${section('Your withdrawals', 'You have not withdrawn consent.', withdrawals)}
${section('Who looked at your record', 'Nobody has looked at your record.', reads)}
${section('Everything recorded', 'Nothing is recorded.', history)}
</main>
<footer><p class="meta">This page was made for you from a link that stops working soon. Ask the organisation that gave it to you for a new one.</p></footer>
</body>
</html>
`;
}

/** A refused link, in words (no detail of which part was wrong). */
export function linkRefusedPage(why: 'tampered' | 'expired' | 'unknown'): string {
  const text = {
    tampered: 'This link is not valid. It may have been copied incompletely.',
    expired: 'This link has expired. Links work for a short time only.',
    unknown: 'There is nothing recorded for this link.',
  }[why];
  return `<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>Link not valid</title><style>${STYLE}</style></head>
<body><header><h1>This link cannot be opened</h1></header>
<main><p>${esc(text)}</p><p>Ask the hospital or service that gave it to you for a new link.</p></main>
</body></html>
`;
}
