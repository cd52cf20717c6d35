// The errors the core and the services raise: a code saying what went wrong in the domain's terms,
// a message safe to show (never a submitted identifier), and the fields at fault. Nothing here knows
// about HTTP: adapters/http/problems.ts is the one place that turns a code into an RFC 9457 problem
// (status, title, type URI), so the ledger, access and receipts modules need no transport to fail.
import type { Problem } from './consent/problems.js';

export const DOMAIN_ERROR_CODES = [
  'invalid-request',
  'unauthenticated',
  'forbidden',
  'not-found',
  'conflict',
  'payload-too-large',
  'unprocessable',
  'unavailable',
  'internal',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly problems: readonly Problem[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
