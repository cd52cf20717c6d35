// One valid example per event type, type-checked against the schemas. Used by the unit tests, and
// fit to use as examples in the OpenAPI / AsyncAPI documents and in other services' tests.
// (Synthetic ids only: no real person or NHS number appears here.)
import { dataSchemaId, type EventOf, type EventType } from './events.js';

export const EXAMPLE_SUBJECT = 'sub_Q2hhcmxvdHRlLUV4YW1wbGU';
const EXAMPLE_DATA_USER = 'du_uni-example';
/** A syntactically valid NHS number from the synthetic test range (999 prefix). */
export const EXAMPLE_NHS_NUMBER = '9990000018';

const base = (id: string, source: string) =>
  ({
    specversion: '1.0',
    id,
    source,
    subject: EXAMPLE_SUBJECT,
    recordedtime: '2026-03-01T10:00:00Z',
    datacontenttype: 'application/json',
  }) as const;
/** A choice a hospital recorded (dataversion 2: says who expressed it). */
const envelope = (id: string, source = 'org:rxh') => ({ ...base(id, source), dataversion: 2 }) as const;
const person = { expressedBy: { role: 'person' } } as const;

/** `time` is the occurrence (data.occurredAt) and `dataschema` follows from type and version: filled in here. */
type Authored = { readonly [T in EventType]: Omit<EventOf<T>, 'time' | 'dataschema'> };
function withDerived(events: Authored): { readonly [T in EventType]: EventOf<T> } {
  return Object.fromEntries(
    Object.entries(events).map(([type, e]) => [
      type,
      { ...e, time: e.data.occurredAt, dataschema: dataSchemaId(e.type, e.dataversion) },
    ]),
  ) as unknown as { readonly [T in EventType]: EventOf<T> };
}

const sys = (id: string) => ({ ...base(id, 'sys:dispatcher'), dataversion: 1 }) as const;

export const EXAMPLE_EVENTS: { readonly [T in EventType]: EventOf<T> } = withDerived({
  'consent.given': {
    ...envelope('evt-given-1'),
    type: 'consent.given',
    data: {
      occurredAt: '2026-03-01T09:30:00Z',
      scope: {
        purposes: ['research', 'ai-validation'],
        dataCategories: '*',
        dataUserCategories: ['nhs', 'academic'],
        jurisdictions: ['uk'],
      },
      capture: { channel: 'in-person', setting: 'routine' },
      policyVersion: '2026-01',
      validUntil: '2031-03-01T00:00:00Z',
      ...person,
    },
  },
  'consent.effective': {
    ...sys('wf:evt-given-1:effective'),
    type: 'consent.effective',
    data: { occurredAt: '2026-03-01T09:45:00Z', consentId: 'evt-given-1', policyVersion: '2026-01' },
  },
  'consent.reconfirmed': {
    ...envelope('evt-reconfirm-1'),
    type: 'consent.reconfirmed',
    data: {
      occurredAt: '2026-03-01T09:40:00Z',
      consentId: 'evt-given-1',
      capture: { channel: 'app', setting: 'remote' },
      ...person,
    },
  },
  'consent.lapsed': {
    ...sys('wf:evt-given-1:lapsed'),
    type: 'consent.lapsed',
    data: { occurredAt: '2026-03-01T09:50:00Z', consentId: 'evt-given-1', policyVersion: '2026-01' },
  },
  'consent.cancelled': {
    ...envelope('evt-cancel-1'),
    type: 'consent.cancelled',
    data: { occurredAt: '2026-03-01T09:35:00Z', consentId: 'evt-given-1', channel: 'phone', ...person },
  },
  'consent.withdrawn': {
    ...envelope('evt-withdraw-1'),
    type: 'consent.withdrawn',
    data: {
      occurredAt: '2026-03-01T09:55:00Z',
      scope: { purposes: '*', dataCategories: '*', dataUserCategories: ['commercial'], jurisdictions: '*' },
      consentId: 'evt-given-1',
      channel: 'paper',
      ...person,
    },
  },
  'consent.expired': {
    ...sys('wf:evt-given-1:expired'),
    type: 'consent.expired',
    data: { occurredAt: '2026-03-01T09:58:00Z', consentId: 'evt-given-1', validUntil: '2026-03-01T09:58:00Z' },
  },
  'optout.registered': {
    ...envelope('evt-optout-1', 'org:nhs-england'),
    type: 'optout.registered',
    data: {
      occurredAt: '2026-03-01T08:00:00Z',
      scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
      national: true,
      ...person,
    },
  },
  'optout.revoked': {
    ...envelope('evt-optout-revoke-1', 'org:nhs-england'),
    type: 'optout.revoked',
    data: { occurredAt: '2026-03-01T08:30:00Z', optOutId: 'evt-optout-1', channel: 'web', ...person },
  },
  'revocation.sent': {
    ...sys('wf:evt-withdraw-1:sent:du_uni-example'),
    type: 'revocation.sent',
    data: {
      occurredAt: '2026-03-01T09:56:00Z',
      withdrawalId: 'evt-withdraw-1',
      dataUserId: EXAMPLE_DATA_USER,
      noticeId: 'ntc-evt-withdraw-1-du_uni-example',
      dueBy: '2026-03-31T09:56:00Z',
      policyVersion: '2026-01',
    },
  },
  'revocation.acknowledged': {
    ...sys('wf:evt-withdraw-1:ack:du_uni-example'),
    dataversion: 2,
    type: 'revocation.acknowledged',
    data: {
      occurredAt: '2026-03-01T09:57:00Z',
      withdrawalId: 'evt-withdraw-1',
      dataUserId: EXAMPLE_DATA_USER,
      noticeId: 'ntc-evt-withdraw-1-du_uni-example',
      attestation: {
        action: 'derived-data-deleted',
        performedAt: '2026-03-01T09:50:00Z',
        performedBy: { role: 'data-custodian' },
        evidenceSha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      },
    },
  },
  'revocation.overdue': {
    ...sys('wf:evt-withdraw-1:overdue:du_uni-example'),
    type: 'revocation.overdue',
    data: {
      occurredAt: '2026-03-01T09:59:00Z',
      withdrawalId: 'evt-withdraw-1',
      dataUserId: EXAMPLE_DATA_USER,
      noticeId: 'ntc-evt-withdraw-1-du_uni-example',
      dueBy: '2026-03-01T09:58:00Z',
    },
  },
  'withdrawal.completed': {
    ...sys('wf:evt-withdraw-1:completed'),
    type: 'withdrawal.completed',
    data: { occurredAt: '2026-03-01T09:59:30Z', withdrawalId: 'evt-withdraw-1', dataUserIds: [EXAMPLE_DATA_USER] },
  },
  'dataUser.registered': {
    ...sys('du-reg-1'),
    subject: EXAMPLE_DATA_USER,
    type: 'dataUser.registered',
    data: {
      occurredAt: '2026-02-01T12:00:00Z',
      dataUserId: EXAMPLE_DATA_USER,
      name: 'University of Example, Department of Health Informatics',
      category: 'academic',
      jurisdiction: 'uk',
      approvals: [{ purpose: 'research', reference: 'IRAS 312345', expiresAt: '2028-02-01T00:00:00Z' }],
    },
  },
  'dataUser.approved': {
    ...sys('du-approve-1'),
    subject: EXAMPLE_DATA_USER,
    type: 'dataUser.approved',
    data: {
      occurredAt: '2026-02-15T12:00:00Z',
      dataUserId: EXAMPLE_DATA_USER,
      approvals: [{ purpose: 'ai-validation', reference: 'CAG 26/CAG/0001', expiresAt: '2027-02-15T00:00:00Z' }],
    },
  },
  'release.recorded': {
    ...base('rel-2026-0007.sub-1', 'org:rxh'),
    dataversion: 1,
    type: 'release.recorded',
    data: {
      occurredAt: '2026-03-01T09:40:00Z',
      releaseId: 'rel-2026-0007',
      dataUserId: EXAMPLE_DATA_USER,
      purpose: 'research',
      dataCategories: ['ehr', 'lab-results'],
    },
  },
});
