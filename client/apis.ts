// Typed clients for the three HTTP APIs: openapi-fetch over the types openapi-typescript generated from
// the services' own OpenAPI documents (client/generated/), so every path, parameter, body and answer is
// checked by the compiler against what the service serves. Each client sends the caller's API key.
import createClient, { type Client } from 'openapi-fetch';
import type { paths as IngestPaths, components as IngestComponents } from './generated/ingest.js';
import type { paths as QueryPaths, components as QueryComponents } from './generated/query.js';
import type { paths as AuditPaths } from './generated/audit.js';

export interface ApiOptions {
  /** e.g. http://127.0.0.1:8080 (ingest), :8081 (query), :8086 (audit) */
  baseUrl: string;
  /** `cl.<keyId>.<secret>`, sent as `Authorization: Bearer …` */
  apiKey: string;
  /** A fetch of your own (proxies, tracing); the global one otherwise. */
  fetch?: (input: Request) => Promise<Response>;
}

export type IngestClient = Client<IngestPaths>;
export type QueryClient = Client<QueryPaths>;
export type AuditClient = Client<AuditPaths>;

/** The models the APIs take and return, by their OpenAPI component names. */
export type IncomingEvent = IngestComponents['schemas']['IncomingEvent'];
export type Receipt = IngestComponents['schemas']['Receipt'];
export type ReceiptBatch = IngestComponents['schemas']['ReceiptBatch'];
export type Problem = IngestComponents['schemas']['Problem'];
export type RevocationNotice = QueryComponents['schemas']['RevocationNotice'];
export type Acknowledgement = QueryComponents['schemas']['Acknowledgement'];
export type DecisionRequest = QueryComponents['schemas']['DecisionRequest'];
export type Decision = QueryComponents['schemas']['Decision'];

function options({ baseUrl, apiKey, fetch }: ApiOptions) {
  return { baseUrl, headers: { authorization: `Bearer ${apiKey}` }, ...(fetch && { fetch }) };
}

/** Hospitals and GP systems: POST /v1/events, /v1/events:batch, GET /v1/receipts/{eventId}. */
export const ingestClient = (o: ApiOptions): IngestClient => createClient<IngestPaths>(options(o));
/** Data users, hospitals, admins: decisions, cohort filters, subjects, data users, releases, revocations. */
export const queryClient = (o: ApiOptions): QueryClient => createClient<QueryPaths>(options(o));
/** Auditors: verification, summaries, withdrawals, reports. */
export const auditClient = (o: ApiOptions): AuditClient => createClient<AuditPaths>(options(o));
