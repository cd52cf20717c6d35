// Signed checkpoints over the ledger (tamper evidence), in the spirit of Certificate Transparency's
// signed tree heads (RFC 6962), but as a per-partition hash chain: Kafka appends one partition at a
// time, so a chain is the natural log structure and needs O(1) state to extend.
//
//   leaf_i = sha256(record value bytes as written)            — the receipt's hash (ledger/writer.ts)
//   head_i = sha256("cl-chain-v1" || head_{i-1} || u64be(offset_i) || leaf_i),  head_{-1} = GENESIS(partition)
//
// The offset is inside the chain, so a record deleted from the log (an offset gap) or moved breaks
// every later head, not only the checkpoint that covered it. A checkpoint signs one range of a
// partition: its previous head, its head, the hash of the partition's previous checkpoint (so the
// checkpoints themselves form a chain: none can be dropped, re-ordered or forked unnoticed) and
// `leaves` — each record's leaf truncated to 8 bytes. The leaves are only for diagnosis (they let a
// verifier NAME the first modified / deleted / inserted / swapped offset rather than "somewhere in
// this range"); integrity rests on the full-width head, which a forger cannot match.
//
// Pure: no I/O and no clock (issuedAt is passed in). Ed25519 via node:crypto.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from './consent/canonical.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const offsetString = z.string().regex(/^(0|[1-9]\d{0,18})$/, 'expected a Kafka offset (decimal string)');

const CHECKPOINT_VERSION = 1;
/** Bytes of each leaf kept in `leaves` (diagnosis only). */
const LEAF_PREFIX_BYTES = 8;

const CheckpointBodySchema = z.strictObject({
  v: z.literal(CHECKPOINT_VERSION),
  /** Name of the sealed topic (tests and copies seal other topics than consent.ledger.v1). */
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  /** 0 for the partition's first checkpoint, then +1 each. */
  sequence: z.number().int().min(0),
  fromOffset: offsetString,
  /** Inclusive. */
  toOffset: offsetString,
  count: z.number().int().min(1),
  previousHead: hex64,
  head: hex64,
  /** sha256 of the canonical bytes of the partition's previous checkpoint (signature included); null for sequence 0. */
  previousCheckpoint: hex64.nullable(),
  /** base64 of `count` leaf prefixes of LEAF_PREFIX_BYTES each, in offset order. */
  leaves: z.string(),
  issuedAt: z.iso.datetime({ offset: false }),
  /** sha256 (hex) of the signer's public key (SPKI DER): which key signed. */
  keyId: hex64,
});
export type CheckpointBody = z.infer<typeof CheckpointBodySchema>;

export const CheckpointSchema = CheckpointBodySchema.extend({
  /** Ed25519 signature (base64) over canonicalBytes(body), body = the checkpoint without `signature`. */
  signature: z.string().regex(/^[A-Za-z0-9+/]+=*$/),
}).meta({ title: 'Checkpoint', description: 'A signed checkpoint over one range of one ledger partition.' });
export type Checkpoint = z.infer<typeof CheckpointSchema>;

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const CHAIN_TAG = Buffer.from('cl-chain-v1');

/** The head before a partition's first record: bound to the partition so chains cannot be transplanted. */
export function genesisHead(partition: number): string {
  return sha256(Buffer.from(`cl-genesis-v1:${partition}`)).toString('hex');
}

/** leaf = sha256 of the record value bytes (a null value — never written by us — hashes as empty). */
export function leafHash(value: Buffer | null): Buffer {
  return sha256(value ?? Buffer.alloc(0));
}

/** One step of the chain. `head` and the result are raw 32-byte digests (hex only at the edges). */
function chainStep(head: Buffer, offset: string, leaf: Buffer): Buffer {
  const o = Buffer.alloc(8);
  o.writeBigUInt64BE(BigInt(offset));
  return sha256(CHAIN_TAG, head, o, leaf);
}

export function leafPrefix(leaf: Buffer): Buffer {
  return leaf.subarray(0, LEAF_PREFIX_BYTES);
}

/** The `leaves` field back into one prefix per record. */
export function decodeLeaves(leaves: string): Buffer[] {
  const all = Buffer.from(leaves, 'base64');
  const out: Buffer[] = [];
  for (let i = 0; i + LEAF_PREFIX_BYTES <= all.length; i += LEAF_PREFIX_BYTES)
    out.push(all.subarray(i, i + LEAF_PREFIX_BYTES));
  return out;
}

/** keyId: sha256 of the public key's SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' })).toString('hex');
}

/** A private key from PKCS8 DER base64 (SEALER_SIGNING_KEY). Throws unless Ed25519. */
export function signingKeyFromBase64(pkcs8Base64: string): KeyObject {
  const key = createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`expected an Ed25519 key, got ${String(key.asymmetricKeyType)}`);
  return key;
}

/** The public key as auditors receive it: PEM (SPKI). */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`expected an Ed25519 public key, got ${String(key.asymmetricKeyType)}`);
  return key;
}

export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): Checkpoint {
  const signature = sign(null, canonicalBytes(body), privateKey).toString('base64');
  return { ...body, signature };
}

function bodyOf(c: Checkpoint): CheckpointBody {
  const { signature: _s, ...body } = c;
  return body;
}

/** Does `c` carry a valid signature by `trusted`, and does its keyId name that key? */
export function checkpointSignatureValid(c: Checkpoint, trusted: KeyObject): boolean {
  if (c.keyId !== keyIdOf(trusted)) return false;
  try {
    return verify(null, canonicalBytes(bodyOf(c)), trusted, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/** What the next checkpoint's `previousCheckpoint` must be. */
export function checkpointHash(c: Checkpoint): string {
  return sha256(canonicalBytes(c)).toString('hex');
}

/** Where a partition's chain stands: what the next record extends and the next checkpoint links to. */
export interface ChainTip {
  partition: number;
  /** Next offset expected (the one after the last sealed record). */
  nextOffset: string;
  head: string;
  sequence: number;
  lastCheckpoint: string | null;
}

export function initialTip(partition: number): ChainTip {
  return { partition, nextOffset: '0', head: genesisHead(partition), sequence: 0, lastCheckpoint: null };
}

/** The tip after a checkpoint (the sealer resumes from it after a restart). */
export function tipAfter(c: Checkpoint): ChainTip {
  return {
    partition: c.partition,
    nextOffset: (BigInt(c.toOffset) + 1n).toString(),
    head: c.head,
    sequence: c.sequence + 1,
    lastCheckpoint: checkpointHash(c),
  };
}

/**
 * Accumulates records after a tip and cuts a checkpoint body. The sealer and the verifier both use
 * it: the verifier recomputes every checkpoint exactly the way the sealer built it.
 */
export class ChainSegment {
  private head: Buffer;
  private readonly prefixes: Buffer[] = [];
  private first: string | undefined;
  private last: string | undefined;

  constructor(readonly tip: ChainTip) {
    this.head = Buffer.from(tip.head, 'hex');
  }

  get count(): number {
    return this.prefixes.length;
  }
  get headHex(): string {
    return this.head.toString('hex');
  }
  get lastOffset(): string | undefined {
    return this.last;
  }

  add(offset: string, value: Buffer | null): Buffer {
    const leaf = leafHash(value);
    this.head = chainStep(this.head, offset, leaf);
    this.prefixes.push(leafPrefix(leaf));
    this.first ??= offset;
    this.last = offset;
    return leaf;
  }

  /** The checkpoint body over everything added (count ≥ 1). */
  body(topic: string, issuedAt: string, keyId: string): CheckpointBody {
    if (this.first === undefined || this.last === undefined) throw new Error('an empty segment has no checkpoint');
    return {
      v: CHECKPOINT_VERSION,
      topic,
      partition: this.tip.partition,
      sequence: this.tip.sequence,
      fromOffset: this.first,
      toOffset: this.last,
      count: this.prefixes.length,
      previousHead: this.tip.head,
      head: this.head.toString('hex'),
      previousCheckpoint: this.tip.lastCheckpoint,
      leaves: Buffer.concat(this.prefixes).toString('base64'),
      issuedAt,
      keyId,
    };
  }
}

/** How a checkpoint fails to continue its partition's chain; undefined when it does. */
export function chainLinkProblem(tip: ChainTip, c: Checkpoint): string | undefined {
  if (c.sequence !== tip.sequence) return `sequence ${c.sequence}, expected ${tip.sequence}`;
  if (c.previousCheckpoint !== tip.lastCheckpoint) return 'previousCheckpoint does not name the previous checkpoint';
  if (c.previousHead !== tip.head) return "previousHead is not the previous checkpoint's head";
  if (c.fromOffset !== tip.nextOffset)
    return `starts at offset ${c.fromOffset}, expected ${tip.nextOffset} (a gap or overlap between checkpoints)`;
  if (decodeLeaves(c.leaves).length !== c.count)
    return `leaves list ${decodeLeaves(c.leaves).length} records, count says ${c.count}`;
  return undefined;
}

export type TamperKind = 'modified' | 'deleted' | 'inserted' | 'reordered';

/**
 * Names the first difference between the records the checkpoints sealed (expected leaf prefixes) and
 * the records now on the log, from the position where they first differ: `actual[0]` ≠ `expected[0]`.
 * Looks at most two records ahead, so the verifier needs a window of three.
 */
export function classifyMismatch(expected: readonly Buffer[], actual: readonly Buffer[]): TamperKind {
  const eq = (a: Buffer | undefined, b: Buffer | undefined) => a !== undefined && b !== undefined && a.equals(b);
  if (eq(actual[0], expected[1]) && eq(actual[1], expected[0])) return 'reordered';
  if (eq(actual[0], expected[1])) return 'deleted';
  if (eq(actual[1], expected[0])) return 'inserted';
  if (actual[0] === undefined) return 'deleted';
  return 'modified';
}
