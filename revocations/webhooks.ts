// Data users' webhook registrations and the signing of deliveries.
//
// Signing secrets are never stored: each registration stores a random salt, and the secret is
// HMAC-SHA256(WEBHOOK_SIGNING_KEY, "<dataUserId>.<salt>"), recomputed by the worker when it signs.
// A database dump therefore reveals no usable secret; re-registering (new salt) rotates it; rotating
// WEBHOOK_SIGNING_KEY (configuration) invalidates every secret at once. The secret is shown to the
// data user once, in the registration response.
//
// Signature header (like Stripe's / Standard Webhooks'): `Consent-Ledger-Signature: t=<unix seconds>,v1=<hex>`
// with v1 = HMAC-SHA256(secret, "<t>.<raw body>"); receivers should reject a t older than a few minutes.
// The HMAC key is the secret exactly as the registration returned it (its UTF-8 bytes, not decoded):
// what the README and the response say, so a receiver written from them verifies every delivery. The
// README's verifier is the receivers' reference, and the tests' receivers run that very code.
import { createHmac, randomBytes } from 'node:crypto';
import type { Collection, Db } from '../adapters/mongo.js';

export const SIGNATURE_HEADER = 'consent-ledger-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const DELIVERY_HEADER = 'consent-ledger-delivery';

interface WebhookDoc {
  _id: string;
  url: string;
  salt: string;
  registeredAt: string;
}

export interface Webhook {
  dataUserId: string;
  url: string;
  /** The signing secret as the data user was given it (base64url text); the HMAC key as it stands. */
  secret: string;
}

export class WebhookRegistry {
  private readonly col: Collection<WebhookDoc>;
  constructor(
    db: Db,
    private readonly signingKey: Buffer,
  ) {
    this.col = db.collection<WebhookDoc>('revocation_webhooks');
  }

  private secretOf(dataUserId: string, salt: string): string {
    return createHmac('sha256', this.signingKey).update(`${dataUserId}.${salt}`).digest('base64url');
  }

  /** Registers (or replaces) the webhook; returns the new signing secret (base64url), shown once. */
  async register(dataUserId: string, url: string, at: string): Promise<string> {
    const salt = randomBytes(16).toString('base64url');
    await this.col.replaceOne({ _id: dataUserId }, { url, salt, registeredAt: at }, { upsert: true });
    return this.secretOf(dataUserId, salt);
  }

  async get(dataUserId: string): Promise<Webhook | undefined> {
    const doc = await this.col.findOne({ _id: dataUserId });
    return doc ? { dataUserId, url: doc.url, secret: this.secretOf(dataUserId, doc.salt) } : undefined;
  }
}

/** `t=<unixSeconds>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))`, the key being the secret string as given. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
