// RFC 9457 problem details: the one place that maps error codes to HTTP. The core and the services
// raise DomainError (contracts/domainError.ts) with a code and know nothing of statuses; the last
// middleware (problemHandler) turns whatever a route threw into its problem, so routes stay a few
// lines: validate → call the core → respond.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Problem } from '../../contracts/consent/problems.js';
import { DomainError, type DomainErrorCode } from '../../contracts/domainError.js';
import { isUnavailable } from '../mongo.js';

/** Codes only the transport has: the request never reached a route that could raise a domain error. */
type TransportCode = 'method-not-allowed' | 'unsupported-media-type';
export type ProblemCode = DomainErrorCode | TransportCode;

const PROBLEM_TYPES: Readonly<Record<ProblemCode, { status: number; title: string }>> = {
  'invalid-request': { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'No valid credential' },
  forbidden: { status: 403, title: 'Not allowed for this caller' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed on this resource' },
  conflict: { status: 409, title: 'Conflicts with what is already recorded' },
  'payload-too-large': { status: 413, title: 'The body is too large' },
  'unsupported-media-type': { status: 415, title: 'The body must be JSON' },
  unprocessable: { status: 422, title: 'The request is well-formed but its content is not acceptable' },
  unavailable: { status: 503, title: 'A server this depends on is unavailable; retry later' },
  internal: { status: 500, title: 'Internal error' },
};

export const statusOf = (code: ProblemCode): number => PROBLEM_TYPES[code].status;

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { pointer: string; detail: string }[];
  [extension: string]: unknown;
}

export function problemDocument(
  code: ProblemCode,
  detail: string,
  problems: readonly Problem[] = [],
  extra: Record<string, unknown> = {},
): ProblemDocument {
  const { status, title } = PROBLEM_TYPES[code];
  return {
    type: `urn:consent-ledger:problem:${code}`,
    title,
    status,
    detail,
    ...(problems.length > 0 ? { errors: problems.map((p) => ({ pointer: `#${p.field}`, detail: p.message })) } : {}),
    ...extra,
  };
}

/**
 * The problem an error is answered with, or undefined for an error nobody expected (answered 500
 * with no internals, and never the request body, by the caller).
 */
export function problemOf(err: unknown): ProblemDocument | undefined {
  if (err instanceof DomainError) return problemDocument(err.code, err.message, err.problems, err.extra);
  if (isUnavailable(err))
    return problemDocument('unavailable', 'the projection/receipt store is unavailable; nothing was changed');
  // body-parser's failures, before any route ran.
  const e = err as { type?: string; limit?: number } | undefined;
  if (e?.type === 'entity.too.large')
    return problemDocument('payload-too-large', `the body exceeds ${String(e.limit)} bytes`, [
      { field: '', message: 'body too large' },
    ]);
  if (e?.type === 'entity.parse.failed')
    return problemDocument('invalid-request', 'the body is not valid JSON', [{ field: '', message: 'not valid JSON' }]);
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return problemDocument('unsupported-media-type', 'unsupported body encoding');
  return undefined;
}

export function sendProblemDocument(res: Response, doc: ProblemDocument): void {
  if (doc.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  if (doc.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="consent-ledger"');
  res.status(doc.status).type('application/problem+json').json(doc);
}

export function sendProblem(
  res: Response,
  code: ProblemCode,
  detail: string,
  problems: readonly Problem[] = [],
  extra: Record<string, unknown> = {},
): void {
  sendProblemDocument(res, problemDocument(code, detail, problems, extra));
}

export const notFoundHandler: RequestHandler = (req, res) => {
  // The path is not echoed: a mistyped URL could carry an NHS number.
  sendProblem(res, 'not-found', `no route for ${req.method} on this path`);
};

/** Last middleware: whatever a route threw → its problem; anything unexpected → 500, logged by name only. */
export function problemHandler(log: { error(obj: object, msg: string): void }): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = problemOf(err);
    if (known) {
      sendProblemDocument(res, known);
      return;
    }
    const thrown = err as Error | null | undefined; // anything may be thrown, null included
    log.error({ err: { name: thrown?.name, message: thrown?.message } }, 'unhandled error');
    sendProblem(res, 'internal', 'an internal error occurred; it has been logged');
  };
}
