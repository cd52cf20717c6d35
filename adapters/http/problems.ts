// RFC 9457 problem details. The core and the services raise DomainError with a code; this module is
// the one place that maps codes to HTTP statuses, so routes stay a few lines.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Problem } from '../../contracts/consent/problems.js';
import { isUnavailable } from '../mongo.js';

export const PROBLEM_TYPES = {
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
} as const;
export type ProblemCode = keyof typeof PROBLEM_TYPES;

export class DomainError extends Error {
  constructor(
    readonly code: ProblemCode,
    message: string,
    readonly problems: readonly Problem[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export function sendProblem(
  res: Response,
  code: ProblemCode,
  detail: string,
  problems: readonly Problem[] = [],
  extra: Record<string, unknown> = {},
): void {
  const { status, title } = PROBLEM_TYPES[code];
  if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="consent-ledger"');
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `urn:consent-ledger:problem:${code}`,
      title,
      status,
      detail,
      ...(problems.length > 0 ? { errors: problems.map((p) => ({ pointer: `#${p.field}`, detail: p.message })) } : {}),
      ...extra,
    });
}

export const notFoundHandler: RequestHandler = (req, res) => {
  // The path is not echoed: a mistyped URL could carry an NHS number.
  sendProblem(res, 'not-found', `no route for ${req.method} on this path`);
};

/**
 * Last middleware: DomainError → its problem; body-parser failures → 400/413/415; anything else → 500
 * with no internals (and never the request body) in the response.
 */
export function problemHandler(log: { error(obj: object, msg: string): void }): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof DomainError) return sendProblem(res, err.code, err.message, err.problems, err.extra);
    if (isUnavailable(err))
      return sendProblem(res, 'unavailable', 'the projection/receipt store is unavailable; nothing was changed');
    const e = err as { type?: string; status?: number; limit?: number };
    if (e.type === 'entity.too.large')
      return sendProblem(res, 'payload-too-large', `the body exceeds ${e.limit} bytes`, [
        { field: '', message: 'body too large' },
      ]);
    if (e.type === 'entity.parse.failed')
      return sendProblem(res, 'invalid-request', 'the body is not valid JSON', [
        { field: '', message: 'not valid JSON' },
      ]);
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return sendProblem(res, 'unsupported-media-type', 'unsupported body encoding');
    log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'unhandled error');
    return sendProblem(res, 'internal', 'an internal error occurred; it has been logged');
  };
}
