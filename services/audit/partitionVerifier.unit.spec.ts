import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  ChainSegment,
  initialTip,
  keyIdOf,
  signCheckpoint,
  tipAfter,
  type Checkpoint,
} from '../../contracts/checkpoint.js';
import { PartitionVerifier } from './partitionVerifier.js';

const key = generateKeyPairSync('ed25519');
const rec = (i: number) => Buffer.from(`{"id":"e${i}","n":${i}}`);

/** Checkpoints of `per` records over values at offsets 0…n-1 of partition 2. */
function sealed(values: Buffer[], per: number, signer = key.privateKey): Checkpoint[] {
  const out: Checkpoint[] = [];
  let tip = initialTip(2);
  for (let i = 0; i < values.length; i += per) {
    const seg = new ChainSegment(tip);
    values.slice(i, i + per).forEach((v, j) => seg.add(String(i + j), v));
    const c = signCheckpoint(seg.body('ledger', '2026-01-01T00:00:00Z', keyIdOf(key.publicKey)), signer);
    out.push(c);
    tip = tipAfter(c);
  }
  return out;
}

function verify(checkpoints: Checkpoint[], log: (Buffer | null)[], offsets?: string[], ids?: string[]) {
  const v = new PartitionVerifier(2, checkpoints, key.publicKey);
  log.forEach((value, i) => v.add(offsets?.[i] ?? String(i), value, ids?.[i] ?? `e${i}`));
  return v.end();
}

const values = Array.from({ length: 10 }, (_, i) => rec(i));
const cps = sealed(values, 4); // 0-3, 4-7, 8-9

describe('PartitionVerifier', () => {
  it('an untouched partition verifies, every record sealed', () => {
    expect(verify(cps, values)).toEqual({
      partition: 2,
      records: 10,
      checkpoints: 3,
      sealed: 10,
      sealedThrough: '9',
      unsealed: 0,
      duplicates: 0,
    });
  });

  it('records after the last checkpoint are counted as unsealed, not as a problem', () => {
    const r = verify(cps.slice(0, 2), values);
    expect(r).toMatchObject({ sealed: 8, unsealed: 2, sealedThrough: '7' });
    expect(r.problem).toBeUndefined();
  });

  it('counts physical duplicates of an event id without failing', () => {
    expect(
      verify(
        cps,
        values,
        undefined,
        values.map((_, i) => (i === 6 ? 'e5' : `e${i}`)),
      ).duplicates,
    ).toBe(1);
  });

  it.each([
    ['modified', (v: Buffer[]) => v.map((x, i) => (i === 5 ? rec(99) : x)), '5'],
    ['deleted', (v: Buffer[]) => v.filter((_, i) => i !== 5), '5'],
    ['inserted', (v: Buffer[]) => [...v.slice(0, 5), rec(99), ...v.slice(5)], '5'],
    ['reordered', (v: Buffer[]) => [...v.slice(0, 5), v[6]!, v[5]!, ...v.slice(7)], '5'],
    ['reordered', (v: Buffer[]) => [...v.slice(0, 3), v[4]!, v[3]!, ...v.slice(5)], '3'], // across a checkpoint boundary
    ['deleted', (v: Buffer[]) => v.slice(0, 9), '9'], // the log ends before the last sealed record
    ['modified', (v: Buffer[]) => [...v.slice(0, 9), rec(99)], '9'], // the very last record
  ] as const)('names a %s record at offset %#', (kind, tamper, offset) => {
    expect(verify(cps, tamper(values)).problem).toMatchObject({ partition: 2, kind, offset });
  });

  it('a record moved to another offset (a gap in the log) breaks the chain though the bytes match', () => {
    const offsets = values.map((_, i) => String(i < 6 ? i : i + 1));
    expect(verify(cps, values, offsets).problem).toMatchObject({ kind: 'chain-mismatch', offset: '4' });
  });

  it('a checkpoint signed with another key is forged; a missing checkpoint breaks the chain', () => {
    const forged = sealed(values, 4, generateKeyPairSync('ed25519').privateKey);
    expect(verify([cps[0]!, forged[1]!, cps[2]!], values).problem).toMatchObject({
      kind: 'forged-checkpoint',
      offset: '4',
    });
    expect(verify([cps[0]!, cps[2]!], values).problem).toMatchObject({ kind: 'broken-checkpoint-chain', offset: '8' });
  });
});
