// A deterministic synthetic ledger for the projector's acceptance test and benchmark: per subject a
// consent, its cooling-off end, and for some a withdrawal with propagation, an opt-out, or a paper
// withdrawal recorded weeks after it was signed (a late arrival). Synthetic ids only.
import type { LedgerEvent } from '../../contracts/consent/events.js';
import {
  effective,
  given,
  optOut,
  released,
  revocationSent,
  scope,
  withdrawn,
} from '../../contracts/consent/fixtures.js';

function subjectEvents(prefix: string, i: number): LedgerEvent[] {
  const subject = `sub_${prefix}_${String(i).padStart(7, '0')}`;
  const id = (s: string) => `${prefix}.${i}.${s}`;
  const o = { subject };
  const events: LedgerEvent[] = [
    given(id('c'), 1 + (i % 5), {
      ...o,
      scope: i % 2 ? scope({ purposes: ['research'] }) : scope(),
      setting: i % 11 === 0 ? 'acute' : 'routine',
    }),
    effective(id('c'), 16 + (i % 5), o),
  ];
  if (i % 3 === 0)
    events.push(
      released(id('r'), 'du_bench-uni', 17 + (i % 5), o),
      withdrawn(id('w'), 20, o),
      revocationSent(id('w'), 'du_bench-uni', 21, o),
    );
  if (i % 4 === 0) events.push(optOut(id('o'), 25, { ...o, scope: scope({ purposes: ['ai-training'] }) }));
  if (i % 7 === 0) events.push(withdrawn(id('pw'), 10, { ...o, recordedAt: 40 }));
  return events;
}

/** Subjects [from, to) of the sample ledger, in subject order. */
export function sampleLedger(prefix: string, from: number, to: number): LedgerEvent[] {
  const out: LedgerEvent[] = [];
  for (let i = from; i < to; i++) out.push(...subjectEvents(prefix, i));
  return out;
}
