// parseEvent: every ledger event type, valid and invalid. Each invalid case names the exact JSON
// Pointer of the one field that is wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_EVENTS } from './examples.js';
import { CURRENT_VERSION, EVENT_TYPES, type EventType } from './events.js';
import { parseEvent } from './validate.js';

type Mutable = Record<string, any>;
const example = (t: EventType): Mutable => structuredClone(EXAMPLE_EVENTS[t]);

describe('parseEvent accepts a valid example of every type', () => {
  it.each(EVENT_TYPES)('%s', (type) => {
    const result = parseEvent(example(type));
    expect(result).toEqual({ ok: true, event: EXAMPLE_EVENTS[type], writtenVersion: CURRENT_VERSION[type] });
  });
});

const valid: [string, EventType, (e: Mutable) => void][] = [
  ['consent without validUntil', 'consent.given', (e) => delete e.data.validUntil],
  [
    'consent with scope * everywhere',
    'consent.given',
    (e) => {
      e.data.scope = { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' };
    },
  ],
  [
    'consent in an emergency setting',
    'consent.given',
    (e) => (e.data.capture = { channel: 'paper', setting: 'emergency' }),
  ],
  ['nanosecond timestamps', 'consent.given', (e) => (e.time = e.data.occurredAt = '2026-03-01T09:30:00.123456789Z')],
  [
    'occurredAt within clock skew after time',
    'consent.given',
    (e) => (e.time = e.data.occurredAt = '2026-03-01T10:04:59Z'),
  ],
  [
    'occurredAt long before time (paper form recorded late)',
    'consent.withdrawn',
    (e) => (e.time = e.data.occurredAt = '2025-11-02T00:00:00Z'),
  ],
  [
    'withdrawal without consentId or channel',
    'consent.withdrawn',
    (e) => {
      delete e.data.consentId;
      delete e.data.channel;
    },
  ],
  [
    'local opt-out with a partial scope',
    'optout.registered',
    (e) => {
      e.data.national = false;
      e.data.scope.dataUserCategories = ['commercial'];
    },
  ],
  ['local opt-out with full scope', 'optout.registered', (e) => (e.data.national = false)],
  ['withdrawal completed with no holders', 'withdrawal.completed', (e) => (e.data.dataUserIds = [])],
  ['data user registered without approvals', 'dataUser.registered', (e) => (e.data.approvals = [])],
  ['source of an organisation with dots', 'consent.given', (e) => (e.source = 'org:gp.k82001')],
  ['leap day', 'consent.given', (e) => (e.data.validUntil = '2028-02-29T00:00:00Z')],
];

describe('parseEvent accepts valid variants', () => {
  it.each(valid)('%s', (_name, type, mutate) => {
    const e = example(type);
    mutate(e);
    const result = parseEvent(e);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

const invalid: [string, EventType, (e: Mutable) => void, string][] = [
  // envelope
  ['specversion 0.3', 'consent.given', (e) => (e.specversion = '0.3'), '/specversion'],
  ['id with a space', 'consent.given', (e) => (e.id = 'evt 1'), '/id'],
  ['id of 129 characters', 'consent.given', (e) => (e.id = 'x'.repeat(129)), '/id'],
  ['empty id', 'consent.given', (e) => (e.id = ''), '/id'],
  ['source that is a URL', 'consent.given', (e) => (e.source = 'https://rxh.nhs.uk'), '/source'],
  ['source with upper case', 'consent.given', (e) => (e.source = 'org:RXH'), '/source'],
  ['subject that is an NHS number', 'consent.given', (e) => (e.subject = '9434765919'), '/subject'],
  ['subject too short', 'consent.given', (e) => (e.subject = 'sub_abc'), '/subject'],
  ['subject missing', 'consent.withdrawn', (e) => delete e.subject, '/subject'],
  ['time with an offset', 'consent.given', (e) => (e.time = '2026-03-01T10:00:00+01:00'), '/time'],
  ['time without seconds', 'consent.given', (e) => (e.time = '2026-03-01T10:00Z'), '/time'],
  ['time missing', 'consent.given', (e) => delete e.time, '/time'],
  ['datacontenttype text/plain', 'consent.given', (e) => (e.datacontenttype = 'text/plain'), '/datacontenttype'],
  ['nhsNumber on a ledger event', 'consent.given', (e) => (e.nhsNumber = '9434765919'), '/nhsNumber'],
  ['unknown extension attribute', 'consent.given', (e) => (e.partitionkey = 'x'), '/partitionkey'],
  ['dataversion as a string', 'consent.given', (e) => (e.dataversion = '1'), '/dataversion'],
  ['dataversion newer than known', 'consent.given', (e) => (e.dataversion = 3), '/dataversion'],
  ['dataversion 0', 'consent.given', (e) => (e.dataversion = 0), '/dataversion'],
  ['dataversion missing', 'consent.given', (e) => delete e.dataversion, '/dataversion'],
  ['type missing', 'consent.given', (e) => delete e.type, '/type'],
  ['unknown type', 'consent.given', (e) => (e.type = 'consent.maybe'), '/type'],
  ['data missing', 'consent.given', (e) => delete e.data, '/data'],
  ['data an array', 'consent.given', (e) => (e.data = []), '/data'],
  // consent.given
  [
    'unknown purpose',
    'consent.given',
    (e) => (e.data.scope.purposes = ['research', 'marketing']),
    '/data/scope/purposes/1',
  ],
  ['empty purpose list', 'consent.given', (e) => (e.data.scope.purposes = []), '/data/scope/purposes'],
  [
    'duplicate data user category',
    'consent.given',
    (e) => (e.data.scope.dataUserCategories = ['nhs', 'nhs']),
    '/data/scope/dataUserCategories/1',
  ],
  [
    'jurisdiction as a bare string',
    'consent.given',
    (e) => (e.data.scope.jurisdictions = 'uk'),
    '/data/scope/jurisdictions',
  ],
  [
    'data category "all" instead of *',
    'consent.given',
    (e) => (e.data.scope.dataCategories = 'all'),
    '/data/scope/dataCategories',
  ],
  ['scope dimension missing', 'consent.given', (e) => delete e.data.scope.jurisdictions, '/data/scope/jurisdictions'],
  ['unknown scope dimension', 'consent.given', (e) => (e.data.scope.countries = '*'), '/data/scope/countries'],
  ['scope missing', 'consent.given', (e) => delete e.data.scope, '/data/scope'],
  ['free-text notes', 'consent.given', (e) => (e.data.notes = 'patient seemed unsure'), '/data/notes'],
  ['capture channel fax', 'consent.given', (e) => (e.data.capture.channel = 'fax'), '/data/capture/channel'],
  ['capture setting missing', 'consent.given', (e) => delete e.data.capture.setting, '/data/capture/setting'],
  [
    'validUntil before occurredAt',
    'consent.given',
    (e) => (e.data.validUntil = '2026-03-01T09:00:00Z'),
    '/data/validUntil',
  ],
  ['validUntil a date only', 'consent.given', (e) => (e.data.validUntil = '2031-03-01'), '/data/validUntil'],
  ['occurredAt 30 Feb', 'consent.given', (e) => (e.data.occurredAt = '2026-02-30T09:30:00Z'), '/data/occurredAt'],
  [
    'occurredAt 10 fractional digits',
    'consent.given',
    (e) => (e.data.occurredAt = '2026-03-01T09:30:00.1234567891Z'),
    '/data/occurredAt',
  ],
  [
    'occurredAt after recording time',
    'consent.given',
    (e) => (e.time = e.data.occurredAt = '2026-03-01T10:05:01Z'),
    '/data/occurredAt',
  ],
  ['time other than the occurrence', 'consent.given', (e) => (e.time = '2026-03-01T09:31:00Z'), '/time'],
  ['recordedtime missing in a record with dataschema', 'consent.given', (e) => delete e.recordedtime, '/recordedtime'],
  ['dataschema of another type', 'consent.given', (e) => (e.dataschema = 'urn:x'), '/dataschema'],
  ['occurredAt missing', 'consent.given', (e) => delete e.data.occurredAt, '/data/occurredAt'],
  ['policyVersion empty', 'consent.given', (e) => (e.data.policyVersion = ''), '/data/policyVersion'],
  // the other types
  ['effective without consentId', 'consent.effective', (e) => delete e.data.consentId, '/data/consentId'],
  ['effective without policyVersion', 'consent.effective', (e) => delete e.data.policyVersion, '/data/policyVersion'],
  [
    'reconfirmed in an unknown setting',
    'consent.reconfirmed',
    (e) => (e.data.capture.setting = 'ward'),
    '/data/capture/setting',
  ],
  ['lapsed with a bad consentId', 'consent.lapsed', (e) => (e.data.consentId = 'evt given'), '/data/consentId'],
  ['cancelled via fax', 'consent.cancelled', (e) => (e.data.channel = 'fax'), '/data/channel'],
  [
    'withdrawn with a duplicate purpose',
    'consent.withdrawn',
    (e) => (e.data.scope.purposes = ['ai-training', 'ai-training']),
    '/data/scope/purposes/1',
  ],
  ['withdrawn with consentId null', 'consent.withdrawn', (e) => (e.data.consentId = null), '/data/consentId'],
  ['expired without validUntil', 'consent.expired', (e) => delete e.data.validUntil, '/data/validUntil'],
  [
    'national opt-out with a partial scope',
    'optout.registered',
    (e) => (e.data.scope.purposes = ['research']),
    '/data/scope/purposes',
  ],
  ['opt-out national "yes"', 'optout.registered', (e) => (e.data.national = 'yes'), '/data/national'],
  ['national opt-out with scope null', 'optout.registered', (e) => (e.data.scope = null), '/data/scope'],
  ['withdrawn without scope', 'consent.withdrawn', (e) => delete e.data.scope, '/data/scope'],
  ['opt-out without national', 'optout.registered', (e) => delete e.data.national, '/data/national'],
  ['opt-out revoked without optOutId', 'optout.revoked', (e) => delete e.data.optOutId, '/data/optOutId'],
  ['revocation sent to a bad data user id', 'revocation.sent', (e) => (e.data.dataUserId = 'uni'), '/data/dataUserId'],
  ['revocation sent without dueBy', 'revocation.sent', (e) => delete e.data.dueBy, '/data/dueBy'],
  [
    'revocation acknowledged with empty noticeId',
    'revocation.acknowledged',
    (e) => (e.data.noticeId = ''),
    '/data/noticeId',
  ],
  ['revocation overdue with a bad dueBy', 'revocation.overdue', (e) => (e.data.dueBy = 'tomorrow'), '/data/dueBy'],
  [
    'withdrawal completed with a duplicate data user',
    'withdrawal.completed',
    (e) => (e.data.dataUserIds = ['du_aaa', 'du_aaa']),
    '/data/dataUserIds/1',
  ],
  [
    'withdrawal completed with a bad data user id',
    'withdrawal.completed',
    (e) => (e.data.dataUserIds = ['x']),
    '/data/dataUserIds/0',
  ],
  ['data user of an unknown category', 'dataUser.registered', (e) => (e.data.category = 'charity'), '/data/category'],
  [
    'data user in an unknown jurisdiction',
    'dataUser.registered',
    (e) => (e.data.jurisdiction = 'us'),
    '/data/jurisdiction',
  ],
  ['data user name with a newline', 'dataUser.registered', (e) => (e.data.name = 'Uni\nof X'), '/data/name'],
  [
    'data user approval for purpose *',
    'dataUser.registered',
    (e) => (e.data.approvals[0].purpose = '*'),
    '/data/approvals/0/purpose',
  ],
  ['data user subject not its id', 'dataUser.registered', (e) => (e.subject = 'du_other'), '/subject'],
  ['data user subject a person', 'dataUser.approved', (e) => (e.subject = 'sub_Q2hhcmxvdHRlLUV4YW1wbGU'), '/subject'],
  ['approval list empty', 'dataUser.approved', (e) => (e.data.approvals = []), '/data/approvals'],
  [
    'approval without expiry',
    'dataUser.approved',
    (e) => delete e.data.approvals[0].expiresAt,
    '/data/approvals/0/expiresAt',
  ],
  ['release without data categories', 'release.recorded', (e) => (e.data.dataCategories = []), '/data/dataCategories'],
  [
    'release of an unknown data category',
    'release.recorded',
    (e) => (e.data.dataCategories = ['ehr', 'x-rays']),
    '/data/dataCategories/1',
  ],
  ['release for purpose *', 'release.recorded', (e) => (e.data.purpose = '*'), '/data/purpose'],
  ['release to a bad data user id', 'release.recorded', (e) => (e.data.dataUserId = 'uni'), '/data/dataUserId'],
];

describe('parseEvent names the failing field', () => {
  it.each(invalid)('%s (%s) → %s', (_name, type, mutate, field) => {
    const e = example(type);
    mutate(e);
    const result = parseEvent(e);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.field)).toEqual([field]);
  });

  it('covers every event type with at least one invalid case', () => {
    const covered = new Set(invalid.map(([, type]) => type));
    expect(EVENT_TYPES.filter((t) => !covered.has(t))).toEqual([]);
  });

  it('lists the allowed types for an unknown type', () => {
    const result = parseEvent({ ...example('consent.given'), type: 'consent.maybe' });
    expect(result.ok).toBe(false);
    if (!result.ok) for (const t of EVENT_TYPES) expect(result.problems[0]?.message).toContain(t);
  });

  it('reports the whole document for a non-object', () => {
    for (const input of [null, [], 'consent', 42]) {
      expect(parseEvent(input)).toEqual({ ok: false, problems: [{ field: '', message: expect.any(String) }] });
    }
  });

  it('escapes pointer segments and withholds keys that look like identifiers', () => {
    const e = example('consent.given');
    e.data['a/b~c'] = 1;
    e.data['9434765919'] = 1;
    const result = parseEvent(e);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.map((p) => p.field)).toEqual(['/data/a~1b~0c', '/data/(withheld)']);
      expect(JSON.stringify(result.problems)).not.toContain('9434765919');
    }
  });

  it('reports several problems at once', () => {
    const e = example('consent.given');
    e.id = 'bad id';
    e.data.capture.channel = 'fax';
    const result = parseEvent(e);
    expect(result.ok ? [] : result.problems.map((p) => p.field)).toEqual(['/id', '/data/capture/channel']);
  });
});

describe('problem messages never echo the submitted value', () => {
  const fields: [string, (e: Mutable, v: unknown) => void][] = [
    ['subject', (e, v) => (e.subject = v)],
    ['source', (e, v) => (e.source = v)],
    ['time', (e, v) => (e.time = v)],
    ['id', (e, v) => (e.id = `${String(v)} x`)],
    ['purpose', (e, v) => (e.data.scope.purposes = [v])],
    ['policyVersion', (e, v) => (e.data.policyVersion = `${String(v)}!`)],
    ['occurredAt', (e, v) => (e.data.occurredAt = v)],
    ['channel', (e, v) => (e.data.capture.channel = v)],
  ];
  it('for any digits placed in any field', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9]\d{9}$/),
        fc.constantFrom(...fields),
        fc.boolean(),
        (digits, [, set], asNumber) => {
          const e = example('consent.given');
          set(e, asNumber ? Number(digits) : digits);
          const result = parseEvent(e);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(JSON.stringify(result.problems)).not.toContain(digits);
        },
      ),
    );
  });
});

describe('parseEvent is total', () => {
  it('never throws, whatever value replaces whatever field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_TYPES), fc.nat(), fc.jsonValue(), fc.boolean(), (type, n, value, inData) => {
        const e = example(type);
        const target: Mutable = inData ? e.data : e;
        const keys = Object.keys(target);
        target[keys[n % keys.length]!] = value;
        const result = parseEvent(e);
        if (!result.ok) for (const p of result.problems) expect(p.field).toMatch(/^(\/[^/]*)+$/);
      }),
      { numRuns: 2000 },
    );
  });
});
