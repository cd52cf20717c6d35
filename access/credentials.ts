// Per-organisation credentials. A key is shown once at creation (`cl.<keyId>.<secret>`); only the
// SHA-256 of its 256-bit random secret is stored (a fast hash is enough for a secret with that much
// entropy — nothing to brute-force). Roles: hospital (writes its own organisation's events), dataUser,
// auditor (read-only), admin.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUnavailable, type Collection, type Db } from '../adapters/mongo.js';

export const ROLES = ['hospital', 'dataUser', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the role and the principal it acts as (org:<slug>, du_…, or a name). */
export interface Caller {
  keyId: string;
  role: Role;
  principal: string;
}

interface CredentialDoc {
  _id: string;
  role: Role;
  principal: string;
  secretSha256: string;
  createdAt: string;
  revokedAt?: string;
}

const KEY_FORMAT = /^cl\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class CredentialStore {
  private readonly col: Collection<CredentialDoc>;
  private readonly cache = new Map<string, { doc: CredentialDoc | null; until: number; fetchedAt: number }>();

  /**
   * `cacheMs`: how long a lookup is reused; a revocation takes effect within it.
   * `staleMs`: while the database is unreachable, a key seen within this long still authenticates
   * (so hospitals can keep writing to the ledger through a database outage).
   */
  constructor(
    db: Db,
    private readonly cacheMs = 10_000,
    private readonly now = () => Date.now(),
    private readonly staleMs = 15 * 60_000,
  ) {
    this.col = db.collection<CredentialDoc>('credentials');
  }

  async create(role: Role, principal: string): Promise<{ keyId: string; apiKey: string }> {
    const keyId = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    await this.col.insertOne({
      _id: keyId,
      role,
      principal,
      secretSha256: sha256(secret).toString('hex'),
      createdAt: new Date(this.now()).toISOString(),
    });
    return { keyId, apiKey: `cl.${keyId}.${secret}` };
  }

  async revoke(keyId: string): Promise<boolean> {
    const r = await this.col.updateOne(
      { _id: keyId, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date(this.now()).toISOString() } },
    );
    this.cache.delete(keyId);
    return r.modifiedCount === 1;
  }

  list(): Promise<Omit<CredentialDoc, 'secretSha256'>[]> {
    return this.col
      .find({}, { projection: { secretSha256: 0 } })
      .sort({ createdAt: 1 })
      .toArray();
  }

  /** The caller a presented key belongs to, or undefined for anything unknown, malformed or revoked. */
  async authenticate(apiKey: string): Promise<Caller | undefined> {
    const m = KEY_FORMAT.exec(apiKey);
    if (!m) return undefined;
    const [, keyId, secret] = m as unknown as [string, string, string];
    const doc = await this.lookup(keyId);
    if (!doc || doc.revokedAt) return undefined;
    const presented = sha256(secret);
    const stored = Buffer.from(doc.secretSha256, 'hex');
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined;
    return { keyId, role: doc.role, principal: doc.principal };
  }

  private async lookup(keyId: string): Promise<CredentialDoc | null> {
    const hit = this.cache.get(keyId);
    if (hit && hit.until > this.now()) return hit.doc;
    let doc: CredentialDoc | null;
    try {
      doc = await this.col.findOne({ _id: keyId });
    } catch (err) {
      if (hit && isUnavailable(err) && this.now() - hit.fetchedAt < this.staleMs) {
        hit.until = this.now() + Math.min(this.cacheMs, 2_000); // retry the database soon, not on every request
        return hit.doc;
      }
      throw err;
    }
    this.cache.set(keyId, { doc, until: this.now() + this.cacheMs, fetchedAt: this.now() });
    return doc;
  }
}
