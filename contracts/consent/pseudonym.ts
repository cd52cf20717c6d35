// NHS number → pseudonymous subject id, at the edge, before anything is logged or written.
// Keyed HMAC (not a plain hash): without the key, nobody can test a guessed NHS number against the
// ledger. The same key always gives the same pseudonym, so every hospital's events for one person meet.
import { createHmac } from 'node:crypto';

export type Pseudonymise = (nhsNumber: string) => string;

export function pseudonymiser(key: Buffer): Pseudonymise {
  if (key.length < 32) throw new Error('the pseudonym key must be at least 32 bytes');
  return (nhsNumber) => `sub_${createHmac('sha256', key).update(nhsNumber, 'utf8').digest('base64url')}`;
}
