// The public key an auditor trusts: given by the auditor (a PEM file, or base64 SPKI DER such as
// AUDIT_PUBLIC_KEY), never taken from the checkpoints being verified.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function trustedKeyFrom(text: string): KeyObject {
  const t = text.trim();
  const key = t.startsWith('-----BEGIN')
    ? createPublicKey(t)
    : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`the trusted key must be Ed25519, not ${String(key.asymmetricKeyType)}`);
  return key;
}

/** --public-key <file> wins over AUDIT_PUBLIC_KEY. */
export function loadTrustedKey(file: string | undefined, env: string | undefined): KeyObject {
  if (file) return trustedKeyFrom(readFileSync(file, 'utf8'));
  if (env) return trustedKeyFrom(env);
  throw new Error('no trusted public key: pass --public-key <file> or set AUDIT_PUBLIC_KEY');
}
