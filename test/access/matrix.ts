// The access matrix (issue 6): every endpoint of the HTTP services × the seven callers, each cell
// either allowed (2xx) or refused with the designed status. Pure data: the spec runs it.
export const CALLERS = ['hospitalA', 'hospitalB', 'dataUserX', 'dataUserY', 'auditor', 'admin', 'anonymous'] as const;
export type CallerName = (typeof CALLERS)[number];
export type Service = 'ingest' | 'query' | 'audit';

/** Ids the fixtures created (filled in by the spec before the matrix runs). */
export interface Fixtures {
  runId: string;
  subject: string; // recorded by hospital A (and, once the matrix's ingest cells ran, by everyone allowed to write)
  subjectOfA: string; // recorded by hospital A alone: the subject-read cells
  nhsNumberOfA: string; // its NHS number (synthetic), for the lookup cells
  receiptEventId: string; // hospital A's consent event
  withdrawalId: string; // recorded by hospital A; holders X and Y
  noticeX: string; // X's revocation notice
  dataUserX: string;
  dataUserY: string;
}

export interface Endpoint {
  service: Service;
  method: 'GET' | 'POST' | 'PUT';
  path: (f: Fixtures) => string;
  /** A valid body for this caller (unique per caller where it writes, so every allowed write is new). */
  body?: (f: Fixtures, who: CallerName) => unknown;
  raw?: (f: Fixtures) => string;
  /** Expected status per caller; callers not listed get `otherwise`. Anonymous is always 401 unless listed. */
  allowed: Partial<Record<CallerName, number>>;
  refused?: Partial<Record<CallerName, number>>;
  otherwise: number;
  writes?: boolean;
}

const ORG: Partial<Record<CallerName, string>> = { hospitalA: 'org:acc-a', hospitalB: 'org:acc-b' };
export const principalOf = (who: CallerName, f: Pick<Fixtures, 'dataUserX' | 'dataUserY'>): string =>
  ({
    hospitalA: ORG.hospitalA!,
    hospitalB: ORG.hospitalB!,
    dataUserX: f.dataUserX,
    dataUserY: f.dataUserY,
    auditor: 'auditor:acc',
    admin: 'admin:acc',
    anonymous: '',
  })[who];

const SCOPE = { purposes: ['research'], dataCategories: '*', dataUserCategories: ['academic'], jurisdictions: ['uk'] };
const event = (f: Fixtures, who: CallerName, n: string) => ({
  specversion: '1.0',
  id: `acc-${f.runId}-${who}-${n}`,
  source: ORG[who] ?? `org:acc-${who}`,
  type: 'consent.given',
  dataversion: 1,
  subject: f.subject,
  data: {
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    scope: SCOPE,
    capture: { channel: 'in-person', setting: 'routine' },
    policyVersion: '2026-01',
  },
});
const approvals = [{ purpose: 'research', reference: 'DAC-acc-001', expiresAt: '2030-01-01T00:00:00Z' }];
const HOSPITALS = { hospitalA: 202, hospitalB: 202 } as const;
// A hospital reads by pseudonym only subjects it recorded events for (another: 404, as if unknown).
const READERS = { hospitalA: 200, admin: 200, auditor: 200 } as const;
const NOT_ITS_SUBJECT = { hospitalB: 404 } as const;
const AUDITOR = { auditor: 200 } as const;

export const ENDPOINTS: Endpoint[] = [
  // ingest: hospitals write their own organisation's events; a receipt is seen by its writer and auditors.
  {
    service: 'ingest',
    method: 'POST',
    path: () => '/v1/events',
    body: (f, w) => event(f, w, 'single'),
    allowed: HOSPITALS,
    otherwise: 403,
    writes: true,
  },
  {
    service: 'ingest',
    method: 'POST',
    path: () => '/v1/events:batch',
    body: (f, w) => ({ events: [event(f, w, 'b1'), event(f, w, 'b2')] }),
    allowed: HOSPITALS,
    otherwise: 403,
    writes: true,
  },
  // … and only for their own organisation: everyone sends hospital A's source, only hospital A may.
  {
    service: 'ingest',
    method: 'POST',
    path: () => '/v1/events',
    body: (f, w) => ({ ...event(f, w, 'as-a'), source: ORG.hospitalA }),
    allowed: { hospitalA: 202 },
    otherwise: 403,
    writes: true,
  },
  {
    service: 'ingest',
    method: 'GET',
    path: (f) => `/v1/receipts/${f.receiptEventId}`,
    allowed: { hospitalA: 200, auditor: 200 },
    otherwise: 404,
  },
  // query: subjects (hospitals, admin, auditor — never data users)
  ...(['consent', 'timeline', 'fhir', 'transparency'] as const).map((view): Endpoint => ({
    service: 'query',
    method: 'GET',
    path: (f) => `/v1/subjects/${f.subjectOfA}/${view}`,
    allowed: READERS,
    refused: NOT_ITS_SUBJECT,
    otherwise: 403,
  })),
  // … any hospital that knows the person: the NHS number in the body
  {
    service: 'query',
    method: 'POST',
    path: () => '/v1/subjects:lookup',
    body: (f) => ({ nhsNumber: f.nhsNumberOfA, reason: 'direct-care' }),
    allowed: { hospitalA: 200, hospitalB: 200, admin: 200, auditor: 200 },
    otherwise: 403,
  },
  // the person's signed link: issued by the hospital that recorded the subject, or an admin
  {
    service: 'query',
    method: 'POST',
    path: (f) => `/v1/subjects/${f.subjectOfA}/transparency-links`,
    body: () => ({ ttlMinutes: 5 }),
    allowed: { hospitalA: 201, admin: 201 },
    refused: NOT_ITS_SUBJECT,
    otherwise: 403,
  },
  // decisions: data users, as themselves
  {
    service: 'query',
    method: 'POST',
    path: () => '/v1/decisions',
    body: (f) => ({ subject: f.subject, purpose: 'research', dataCategory: 'ehr' }),
    allowed: { dataUserX: 200, dataUserY: 200 },
    otherwise: 403,
  },
  {
    service: 'query',
    method: 'POST',
    path: () => '/v1/decisions:filter?purpose=research&dataCategory=ehr',
    raw: (f) => JSON.stringify([f.subject]),
    allowed: { dataUserX: 200, dataUserY: 200 },
    otherwise: 403,
  },
  {
    service: 'query',
    method: 'POST',
    path: () => `/v1/decisions`,
    body: (f) => ({ subject: f.subject, purpose: 'research', dataCategory: 'ehr', dataUserId: f.dataUserX }),
    allowed: { dataUserX: 200 },
    otherwise: 403,
  },
  // data-user registry: admin writes; admin and auditor list; a data user reads its own registration
  {
    service: 'query',
    method: 'POST',
    path: () => '/v1/data-users',
    body: (f, w) => ({
      dataUserId: `du_acc${f.runId}${w}`,
      name: 'matrix user',
      category: 'academic',
      jurisdiction: 'uk',
      approvals,
    }),
    allowed: { admin: 202 },
    otherwise: 403,
    writes: true,
  },
  {
    service: 'query',
    method: 'GET',
    path: () => '/v1/data-users',
    allowed: { admin: 200, auditor: 200 },
    otherwise: 403,
  },
  {
    service: 'query',
    method: 'GET',
    path: (f) => `/v1/data-users/${f.dataUserX}`,
    allowed: { admin: 200, auditor: 200, dataUserX: 200 },
    otherwise: 403,
  },
  {
    service: 'query',
    method: 'POST',
    path: (f) => `/v1/data-users/${f.dataUserX}/approvals`,
    body: (_f, w) => ({ approvals, requestId: `acc-${w}` }),
    allowed: { admin: 202 },
    otherwise: 403,
    writes: true,
  },
  {
    service: 'query',
    method: 'PUT',
    path: (f) => `/v1/data-users/${f.dataUserX}/webhook`,
    body: () => ({ url: 'https://receiver.example/hook' }),
    allowed: { admin: 200, dataUserX: 200 },
    otherwise: 403,
    writes: true,
  },
  // releases: hospitals and admin record; everyone authenticated lists (filtered to what it may see)
  {
    service: 'query',
    method: 'POST',
    path: () => '/v1/releases',
    body: (f, w) => ({
      releaseId: `rel-${f.runId}-${w}`,
      dataUserId: f.dataUserY,
      purpose: 'research',
      dataCategories: ['ehr'],
      subjects: [f.subject],
    }),
    allowed: { hospitalA: 202, hospitalB: 202, admin: 202 },
    otherwise: 403,
    writes: true,
  },
  {
    service: 'query',
    method: 'GET',
    path: () => '/v1/releases',
    allowed: { hospitalA: 200, hospitalB: 200, dataUserX: 200, dataUserY: 200, auditor: 200, admin: 200 },
    otherwise: 401,
  },
  {
    service: 'query',
    method: 'GET',
    path: (f) => `/v1/releases?dataUserId=${f.dataUserX}`,
    allowed: { hospitalA: 200, hospitalB: 200, dataUserX: 200, auditor: 200, admin: 200 },
    otherwise: 403,
  },
  // revocation notices: data users only, each its own (another's notice is 404: not even its existence)
  {
    service: 'query',
    method: 'GET',
    path: () => '/v1/revocations',
    allowed: { dataUserX: 200, dataUserY: 200 },
    otherwise: 403,
  },
  {
    service: 'query',
    method: 'GET',
    path: (f) => `/v1/revocations/${f.noticeX}`,
    allowed: { dataUserX: 200 },
    refused: { dataUserY: 404 },
    otherwise: 403,
  },
  {
    service: 'query',
    method: 'POST',
    path: (f) => `/v1/revocations/${f.noticeX}/acknowledgement`,
    allowed: { dataUserX: 202 },
    refused: { dataUserY: 404 },
    otherwise: 403,
    writes: true,
  },
  // withdrawal propagation status: auditor, admin, the hospital that recorded it (another hospital: 404)
  {
    service: 'query',
    method: 'GET',
    path: (f) => `/v1/withdrawals/${f.withdrawalId}`,
    allowed: { hospitalA: 200, auditor: 200, admin: 200 },
    refused: { hospitalB: 404 },
    otherwise: 403,
  },
  // audit: auditors only; the public key is public
  { service: 'audit', method: 'GET', path: () => '/v1/audit/verify', allowed: AUDITOR, otherwise: 403 },
  { service: 'audit', method: 'GET', path: () => '/v1/audit/replay', allowed: AUDITOR, otherwise: 403 },
  {
    service: 'audit',
    method: 'GET',
    path: (f) => `/v1/audit/subjects/${f.subject}/state`,
    allowed: AUDITOR,
    otherwise: 403,
  },
  { service: 'audit', method: 'GET', path: () => '/v1/audit/withdrawals', allowed: AUDITOR, otherwise: 403 },
  { service: 'audit', method: 'GET', path: () => '/v1/audit/report', allowed: AUDITOR, otherwise: 403 },
  {
    service: 'audit',
    method: 'GET',
    path: () => '/v1/audit/public-key',
    allowed: Object.fromEntries(CALLERS.map((c) => [c, 200])),
    otherwise: 200,
  },
];

/** The status a cell must answer: allowed → 2xx listed; anonymous → 401; else the designed refusal. */
export function expected(e: Endpoint, who: CallerName): { status: number; allowed: boolean } {
  const a = e.allowed[who];
  if (a !== undefined) return { status: a, allowed: true };
  if (who === 'anonymous') return { status: 401, allowed: false };
  return { status: e.refused?.[who] ?? e.otherwise, allowed: false };
}
