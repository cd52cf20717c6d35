// parseIncomingEvent / recordIncoming: what hospital systems POST, and how it becomes a ledger event.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';
import { EXAMPLE_EVENTS, EXAMPLE_NHS_NUMBER, EXAMPLE_SUBJECT } from './examples.js';
import { EVENT_TYPES, INCOMING_EVENT_TYPES, type IncomingEventType } from './events.js';
import { isValidNhsNumber } from './primitives.js';
import { isValidatedEvent, parseEvent, parseIncomingEvent, recordIncoming } from './validate.js';

type Mutable = Record<string, any>;

/** A submission as a hospital would send it: the example minus the server-set fields. */
function submission(type: IncomingEventType, identity: 'subject' | 'nhsNumber' = 'subject'): Mutable {
  const {
    time: _time,
    recordedtime: _recorded,
    dataschema: _schema,
    datacontenttype: _ct,
    subject: _subject,
    ...rest
  } = structuredClone(EXAMPLE_EVENTS[type]) as Mutable;
  return identity === 'subject' ? { ...rest, subject: EXAMPLE_SUBJECT } : { ...rest, nhsNumber: EXAMPLE_NHS_NUMBER };
}

const fieldsOf = (input: unknown) => {
  const r = parseIncomingEvent(input);
  return r.ok ? [] : r.problems.map((p) => p.field);
};

describe('parseIncomingEvent accepts', () => {
  it.each(INCOMING_EVENT_TYPES)('%s with a pseudonymous subject', (type) => {
    const r = parseIncomingEvent(submission(type));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.event.subject).toBe(EXAMPLE_SUBJECT);
  });

  it.each(INCOMING_EVENT_TYPES)('%s with an NHS number instead', (type) => {
    const r = parseIncomingEvent(submission(type, 'nhsNumber'));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.event.nhsNumber).toBe(EXAMPLE_NHS_NUMBER);
  });

  it('an explicit datacontenttype', () => {
    expect(fieldsOf({ ...submission('consent.given'), datacontenttype: 'application/json' })).toEqual([]);
  });
});

const invalid: [string, IncomingEventType, (e: Mutable) => void, string[]][] = [
  ['both subject and nhsNumber', 'consent.given', (e) => (e.nhsNumber = EXAMPLE_NHS_NUMBER), ['/nhsNumber']],
  ['neither subject nor nhsNumber', 'consent.given', (e) => delete e.subject, ['/subject']],
  [
    'NHS number with a wrong check digit',
    'consent.withdrawn',
    (e) => {
      delete e.subject;
      e.nhsNumber = '9990000017';
    },
    ['/nhsNumber'],
  ],
  [
    'NHS number with spaces',
    'consent.withdrawn',
    (e) => {
      delete e.subject;
      e.nhsNumber = '999 000 0018';
    },
    ['/nhsNumber'],
  ],
  [
    'NHS number as a JSON number',
    'optout.registered',
    (e) => {
      delete e.subject;
      e.nhsNumber = 9990000018;
    },
    ['/nhsNumber'],
  ],
  ['server-set time sent', 'consent.given', (e) => (e.time = '2026-03-01T10:00:00Z'), ['/time']],
  ['source of a ledger component', 'consent.given', (e) => (e.source = 'sys:dispatcher'), ['/source']],
  ['a type only the ledger writes', 'consent.given', (e) => (e.type = 'consent.effective'), ['/type']],
  ['an unknown type', 'consent.given', (e) => (e.type = 'consent.perhaps'), ['/type']],
  ['a newer dataversion', 'optout.revoked', (e) => (e.dataversion = 3), ['/dataversion']],
  [
    'a bad scope and no identity: both reported',
    'consent.given',
    (e) => {
      delete e.subject;
      e.data.scope.purposes = ['research', 'marketing'];
    },
    ['/subject', '/data/scope/purposes/1'],
  ],
  [
    'a datacontenttype other than JSON',
    'consent.reconfirmed',
    (e) => (e.datacontenttype = 'application/xml'),
    ['/datacontenttype'],
  ],
  [
    'national opt-out for research only',
    'optout.registered',
    (e) => (e.data.scope.purposes = ['research']),
    ['/data/scope/purposes'],
  ],
  ['cancellation without consentId', 'consent.cancelled', (e) => delete e.data.consentId, ['/data/consentId']],
  // Who expressed it (dataversion 2).
  ['no expressedBy in a version-2 event', 'consent.given', (e) => delete e.data.expressedBy, ['/data/expressedBy']],
  [
    'a parent without the date the authority ends',
    'consent.given',
    (e) => (e.data.expressedBy = { role: 'parent', authorityReference: 'PR-1' }),
    ['/data/expressedBy/authorityEndsAt'],
  ],
  [
    'a parent acting after the child’s 16th birthday',
    'consent.withdrawn',
    (e) =>
      (e.data.expressedBy = { role: 'parent', authorityReference: 'PR-1', authorityEndsAt: '2026-03-01T00:00:00Z' }),
    ['/data/expressedBy/authorityEndsAt'],
  ],
  [
    'a deputy acting at the very instant the order ends',
    'optout.revoked',
    (e) =>
      (e.data.expressedBy = {
        role: 'court-appointed-deputy',
        authorityReference: 'COP order 17',
        authorityEndsAt: e.data.occurredAt,
      }),
    ['/data/expressedBy/authorityEndsAt'],
  ],
  [
    'an authority reference holding an NHS number (spaced)',
    'consent.reconfirmed',
    (e) => (e.data.expressedBy = { role: 'guardian', authorityReference: 'ref 999 000 0018' }),
    ['/data/expressedBy/authorityReference'],
  ],
  [
    'a proxy without a reference to its authority',
    'consent.cancelled',
    (e) => (e.data.expressedBy = { role: 'lasting-power-of-attorney' }),
    ['/data/expressedBy/authorityReference'],
  ],
  [
    'an authority end on the person’s own choice',
    'consent.given',
    (e) => (e.data.expressedBy = { role: 'person', authorityEndsAt: '2030-01-01T00:00:00Z' }),
    ['/data/expressedBy/authorityEndsAt'],
  ],
];

describe('who expressed it', () => {
  it('a parent’s consent for a child, before the 16th birthday, and an attorney’s without an end date', () => {
    const child = submission('consent.given');
    child.data.expressedBy = {
      role: 'parent',
      authorityReference: 'PR-2026-0001',
      authorityEndsAt: '2031-06-01T00:00:00Z',
    };
    expect(fieldsOf(child)).toEqual([]);
    const attorney = submission('optout.registered');
    attorney.data.expressedBy = { role: 'lasting-power-of-attorney', authorityReference: 'LPA file 2026/77' };
    expect(fieldsOf(attorney)).toEqual([]);
  });

  it('an unknown role is refused, naming the field', () => {
    const e = submission('consent.given');
    e.data.expressedBy = { role: 'neighbour', authorityReference: 'x' };
    expect(fieldsOf(e)).toEqual(['/data/expressedBy/role']);
  });

  it('a version-1 submission (no expressedBy) is still accepted, as the person’s own', () => {
    const e = submission('consent.withdrawn');
    delete e.data.expressedBy;
    e.dataversion = 1;
    const r = parseIncomingEvent(e);
    expect(r.ok && r.event.data.expressedBy).toEqual({ role: 'person' });
    expect(r.ok && r.event.dataversion).toBe(2);
  });
});

describe('parseIncomingEvent names the failing field', () => {
  it.each(invalid)('%s (%s)', (_name, type, mutate, fields) => {
    const e = submission(type);
    mutate(e);
    expect(fieldsOf(e)).toEqual(fields);
  });

  it('explains that time is set by the ledger', () => {
    const r = parseIncomingEvent({ ...submission('consent.given'), time: '2026-03-01T10:00:00Z' });
    expect(r.ok ? '' : r.problems[0]?.message).toMatch(/set by the ledger/);
  });

  it('lists the accepted types, and only those, for a type callers may not send', () => {
    const r = parseIncomingEvent({ ...submission('consent.given'), type: 'revocation.acknowledged' });
    const message = r.ok ? '' : (r.problems[0]?.message ?? '');
    for (const t of INCOMING_EVENT_TYPES) expect(message).toContain(t);
    for (const t of EVENT_TYPES.filter((t) => !(INCOMING_EVENT_TYPES as readonly string[]).includes(t))) {
      expect(message).not.toContain(t);
    }
  });
});

describe('an NHS number never appears in a problem', () => {
  const nhsNumbers = fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 })
    .map((d) => d.join(''))
    .filter((nine) => !nine.startsWith('0'))
    .chain((nine) => fc.integer({ min: 0, max: 9 }).map((last) => `${nine}${last}`));

  it('valid or not, whatever else is wrong with the submission', () => {
    fc.assert(
      fc.property(
        nhsNumbers,
        fc.boolean(),
        fc.constantFrom('subject', 'type', 'data', 'id', 'source'),
        (nhs, keepSubject, broken) => {
          const e = submission('consent.given');
          if (!keepSubject) delete e.subject;
          e.nhsNumber = nhs;
          e[broken] = broken === 'data' ? { nhsNumber: nhs } : `${nhs} `;
          const r = parseIncomingEvent(e);
          expect(r.ok).toBe(false);
          expect(JSON.stringify(r)).not.toContain(nhs);
        },
      ),
    );
  });

  it('modulus 11: known valid and invalid numbers', () => {
    expect(['9434765919', '9990000018', '4010232137'].map(isValidNhsNumber)).toEqual([true, true, true]);
    // wrong check digit; remainder giving check digit 10 (never issued); not 10 digits
    expect(['9434765918', '1000000010', '943476591', '94347659190', 'abcdefghij'].map(isValidNhsNumber)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('recordIncoming', () => {
  it('replaces the NHS number by the pseudonym and adds the recording time', () => {
    const r = parseIncomingEvent(submission('consent.given', 'nhsNumber'));
    if (!r.ok) throw new Error('fixture invalid');
    const recorded = recordIncoming(r.event, { subject: EXAMPLE_SUBJECT, recordedtime: '2026-03-01T10:00:00Z' });
    expect(recorded).toEqual({ ok: true, event: EXAMPLE_EVENTS['consent.given'], writtenVersion: 2 });
    if (recorded.ok) expect(canonicalJson(recorded.event)).not.toContain(EXAMPLE_NHS_NUMBER);
  });

  it.each(INCOMING_EVENT_TYPES)('builds for %s what parseEvent makes of the same ledger event', (type) => {
    // recordIncoming checks only the envelope and takes data as parsed; a full parse must agree.
    const r = parseIncomingEvent(submission(type));
    if (!r.ok) throw new Error('fixture invalid');
    const recorded = recordIncoming(r.event, { subject: EXAMPLE_SUBJECT, recordedtime: '2026-03-01T10:00:00Z' });
    if (!recorded.ok) throw new Error('not recorded');
    expect(recorded).toEqual(parseEvent(structuredClone(recorded.event)));
    expect(recorded.event).toEqual(EXAMPLE_EVENTS[type]);
  });

  it('marks what it built as validated, and freezes it so that it stays valid', () => {
    const r = parseIncomingEvent(submission('consent.given', 'nhsNumber'));
    if (!r.ok) throw new Error('fixture invalid');
    const recorded = recordIncoming(r.event, { subject: EXAMPLE_SUBJECT, recordedtime: '2026-03-01T10:00:00Z' });
    if (!recorded.ok) throw new Error('not recorded');
    expect(isValidatedEvent(recorded.event)).toBe(true);
    expect(isValidatedEvent({ ...recorded.event })).toBe(false); // a copy is validated again by the writer
    expect(() => {
      (recorded.event.data as { occurredAt: string }).occurredAt = 'not a time';
    }).toThrow(TypeError);
  });

  it('refuses an occurredAt later than the recording time', () => {
    const r = parseIncomingEvent(submission('consent.withdrawn'));
    if (!r.ok) throw new Error('fixture invalid');
    const recorded = recordIncoming(r.event, { subject: EXAMPLE_SUBJECT, recordedtime: '2026-03-01T09:00:00Z' });
    expect(recorded.ok ? [] : recorded.problems.map((p) => p.field)).toEqual(['/data/occurredAt']);
  });

  it('refuses a pseudonym that is not a subject id', () => {
    const r = parseIncomingEvent(submission('optout.revoked', 'nhsNumber'));
    if (!r.ok) throw new Error('fixture invalid');
    const recorded = recordIncoming(r.event, { subject: EXAMPLE_NHS_NUMBER, recordedtime: '2026-03-01T10:00:00Z' });
    expect(recorded.ok ? [] : recorded.problems.map((p) => p.field)).toEqual(['/subject']);
  });
});
