// Verifying a revocation webhook delivery: `Consent-Ledger-Signature: t=<unix seconds>,v1=<hex>` with
// v1 = HMAC-SHA256(secret, "<t>.<raw body>"), the key being the secret string exactly as
// `PUT /v1/data-users/{id}/webhook` returned it (its UTF-8 bytes, not decoded). The README's copyable
// verifier says the same; client/webhookSignature.unit.spec.ts holds the two to the same answers.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RevocationNotice } from './apis.js';

export const SIGNATURE_HEADER = 'consent-ledger-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A delivery older or newer than this (seconds) against the receiver's clock is taken for a replay. */
export const DEFAULT_TOLERANCE_S = 300;

const HEADER = /^t=(\d+),v1=([0-9a-f]{64})$/;

/** True when `header` signs `rawBody` (the body as received, before any JSON parsing) with `secret`. */
export function verifySignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
  nowSeconds = Date.now() / 1000,
  toleranceS = DEFAULT_TOLERANCE_S,
): boolean {
  const m = HEADER.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(nowSeconds - Number(m[1])) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]!}.`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

/** The body of a delivery: a first notice or a reminder of one not yet acknowledged. */
export interface WebhookDelivery {
  type: 'revocation.notice' | 'revocation.reminder';
  notice: RevocationNotice;
}

export class UnverifiedDelivery extends Error {
  override readonly name = 'UnverifiedDelivery';
}

/**
 * The delivery, once its signature verifies; throws UnverifiedDelivery otherwise (answer 401: the
 * ledger retries a delivery until a receiver takes it). Handle it idempotently by `notice.noticeId`
 * (the Idempotency-Key header): reminders and retries repeat it.
 */
export function verifiedDelivery(
  secret: string,
  rawBody: string | Buffer,
  signature: string | undefined,
  nowSeconds?: number,
): WebhookDelivery {
  if (!verifySignature(secret, rawBody, signature, nowSeconds))
    throw new UnverifiedDelivery('signature does not verify');
  const body = JSON.parse(rawBody.toString()) as Partial<WebhookDelivery>;
  if ((body.type !== 'revocation.notice' && body.type !== 'revocation.reminder') || typeof body.notice !== 'object')
    throw new UnverifiedDelivery('not a revocation delivery');
  return body as WebhookDelivery;
}
