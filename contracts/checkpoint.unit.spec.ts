import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  ChainSegment,
  CheckpointSchema,
  chainLinkProblem,
  checkpointSignatureValid,
  classifyMismatch,
  decodeLeaves,
  initialTip,
  keyIdOf,
  leafHash,
  leafPrefix,
  signCheckpoint,
  signingKeyFromBase64,
  tipAfter,
  publicKeyPem,
  publicKeyFromPem,
  genesisHead,
} from './checkpoint.js';

const keys = () => generateKeyPairSync('ed25519');
const values = (n: number, tag = 'e') => Array.from({ length: n }, (_, i) => Buffer.from(`{"id":"${tag}${i}"}`));

function seal(partition: number, vals: Buffer[], per: number, key = keys()) {
  const keyId = keyIdOf(key.publicKey);
  const out = [];
  let tip = initialTip(partition);
  for (let i = 0; i < vals.length; i += per) {
    const seg = new ChainSegment(tip);
    vals.slice(i, i + per).forEach((v, j) => seg.add(String(i + j), v));
    const c = signCheckpoint(seg.body('ledger', '2026-01-01T00:00:00Z', keyId), key.privateKey);
    out.push(c);
    tip = tipAfter(c);
  }
  return { checkpoints: out, key };
}

describe('checkpoint chain', () => {
  it('signs and verifies a checkpoint with the trusted key; the schema accepts it', () => {
    const { checkpoints, key } = seal(3, values(5), 5);
    const c = checkpoints[0]!;
    expect(CheckpointSchema.parse(c)).toEqual(c);
    expect(c).toMatchObject({
      partition: 3,
      sequence: 0,
      fromOffset: '0',
      toOffset: '4',
      count: 5,
      previousCheckpoint: null,
      previousHead: genesisHead(3),
    });
    expect(checkpointSignatureValid(c, key.publicKey)).toBe(true);
  });

  it('rejects a checkpoint re-signed with another key, and one whose content changed after signing', () => {
    const { checkpoints, key } = seal(0, values(4), 4);
    const other = keys();
    const forged = signCheckpoint({ ...checkpoints[0]!, keyId: keyIdOf(key.publicKey) }, other.privateKey);
    expect(checkpointSignatureValid(forged, key.publicKey)).toBe(false);
    const selfConsistent = signCheckpoint({ ...checkpoints[0]!, keyId: keyIdOf(other.publicKey) }, other.privateKey);
    expect(checkpointSignatureValid(selfConsistent, key.publicKey)).toBe(false); // its own key is not the trusted one
    expect(checkpointSignatureValid({ ...checkpoints[0]!, toOffset: '9' }, key.publicKey)).toBe(false);
  });

  it('links consecutive checkpoints; a dropped, repeated or reordered checkpoint breaks the link', () => {
    const { checkpoints } = seal(0, values(9), 3);
    const [a, b, c] = checkpoints as [(typeof checkpoints)[0], (typeof checkpoints)[0], (typeof checkpoints)[0]];
    expect(chainLinkProblem(initialTip(0), a)).toBeUndefined();
    expect(chainLinkProblem(tipAfter(a), b)).toBeUndefined();
    expect(chainLinkProblem(tipAfter(b), c)).toBeUndefined();
    expect(chainLinkProblem(tipAfter(a), c)).toMatch(/sequence/);
    expect(chainLinkProblem(tipAfter(b), b)).toMatch(/sequence/);
    expect(chainLinkProblem({ ...tipAfter(a), sequence: 2 }, c)).toMatch(/previousCheckpoint/);
    expect(b).toMatchObject({ fromOffset: '3', toOffset: '5', previousHead: a.head });
  });

  it('the head depends on every byte, on the offsets and on the order', () => {
    const head = (vals: Buffer[], offsets = vals.map((_, i) => String(i))) => {
      const s = new ChainSegment(initialTip(0));
      vals.forEach((v, i) => s.add(offsets[i]!, v));
      return s.headHex;
    };
    const v = values(3);
    const base = head(v);
    expect(head([v[0]!, Buffer.from('{"id":"e1 "}'), v[2]!])).not.toBe(base);
    expect(head([v[1]!, v[0]!, v[2]!])).not.toBe(base);
    expect(head(v, ['0', '1', '3'])).not.toBe(base);
    expect(head(v)).toBe(base);
  });

  it('leaves carry one 8-byte prefix per record', () => {
    const v = values(4);
    const { checkpoints } = seal(0, v, 4);
    expect(decodeLeaves(checkpoints[0]!.leaves)).toEqual(v.map((x) => leafPrefix(leafHash(x))));
  });

  it('keys round-trip through PKCS8 base64 and PEM', () => {
    const k = keys();
    const priv = signingKeyFromBase64(k.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'));
    const pub = publicKeyFromPem(publicKeyPem(priv));
    expect(keyIdOf(pub)).toBe(keyIdOf(k.publicKey));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      signingKeyFromBase64(rsa.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')),
    ).toThrow(/Ed25519/);
  });
});

describe('classifyMismatch names the tampering from the first differing position', () => {
  const [a, b, c, x] = ['a', 'b', 'c', 'x'].map((s) => leafPrefix(leafHash(Buffer.from(s)))) as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  it.each([
    ['modified', [a, b, c], [x, b, c]],
    ['deleted', [a, b, c], [b, c]],
    ['inserted', [a, b, c], [x, a, b]],
    ['reordered', [a, b, c], [b, a, c]],
    ['deleted', [a, b], []],
    ['modified', [a], [x]],
  ] as const)('%s', (kind, expected, actual) => {
    expect(classifyMismatch(expected, actual)).toBe(kind);
  });
});
