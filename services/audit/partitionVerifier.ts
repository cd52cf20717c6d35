// Verifying one ledger partition against its checkpoints, as a streaming state machine with no I/O:
// the checkpoints (already read) are checked for signature and chain first; then the partition's
// records are fed in offset order and every checkpoint is recomputed exactly as the sealer built it.
// The first problem ends the partition's verification (everything after it is unanchored) and is
// named by partition, offset and kind. Memory: one checkpoint's leaves + a two-record window.
import type { KeyObject } from 'node:crypto';
import {
  ChainSegment,
  chainLinkProblem,
  checkpointSignatureValid,
  classifyMismatch,
  decodeLeaves,
  initialTip,
  leafHash,
  leafPrefix,
  tipAfter,
  type Checkpoint,
  type TamperKind,
} from '../../contracts/checkpoint.js';

export type ProblemKind = TamperKind | 'forged-checkpoint' | 'broken-checkpoint-chain' | 'chain-mismatch';

export interface VerifyProblem {
  partition: number;
  /** The ledger offset the problem is at (for a checkpoint problem: the first offset it covers). */
  offset: string;
  kind: ProblemKind;
  detail: string;
}

export interface PartitionResult {
  partition: number;
  records: number;
  checkpoints: number;
  /** Records proven by a verified checkpoint. */
  sealed: number;
  /** Last offset covered by a verified checkpoint (undefined: none). */
  sealedThrough?: string;
  /** Records after the last checkpoint (not yet sealed: not an error, but not proven either). */
  unsealed: number;
  /** Records whose event id appeared earlier on the partition (a crash-retry copy; counted, not an error). */
  duplicates: number;
  problem?: VerifyProblem;
}

interface Actual {
  offset: string;
  prefix: Buffer;
}

export class PartitionVerifier {
  private readonly checkpoints: Checkpoint[] = [];
  private cpIndex = 0;
  private expected: Buffer[] = [];
  private posInCp = 0;
  private segment: ChainSegment | undefined;
  private window: Actual[] = [];
  private readonly ids = new Set<string>();
  readonly result: PartitionResult;

  constructor(
    readonly partition: number,
    checkpoints: readonly Checkpoint[],
    trusted: KeyObject,
  ) {
    this.result = { partition, records: 0, checkpoints: 0, sealed: 0, unsealed: 0, duplicates: 0 };
    let tip = initialTip(partition);
    for (const c of checkpoints) {
      if (!checkpointSignatureValid(c, trusted)) {
        this.fail(
          c.fromOffset,
          'forged-checkpoint',
          `checkpoint ${c.sequence} (offsets ${c.fromOffset}-${c.toOffset}) is not signed by the trusted key`,
        );
        break;
      }
      const link = chainLinkProblem(tip, c);
      if (link) {
        this.fail(
          c.fromOffset,
          'broken-checkpoint-chain',
          `checkpoint ${c.sequence} (offsets ${c.fromOffset}-${c.toOffset}): ${link}`,
        );
        break;
      }
      this.checkpoints.push(c);
      tip = tipAfter(c);
    }
    this.startCheckpoint();
  }

  get failed(): boolean {
    return this.result.problem !== undefined;
  }

  private fail(offset: string, kind: ProblemKind, detail: string) {
    this.result.problem ??= { partition: this.partition, offset, kind, detail };
  }

  private startCheckpoint() {
    const c = this.checkpoints[this.cpIndex];
    this.posInCp = 0;
    this.expected = c ? decodeLeaves(c.leaves) : [];
    this.segment = c
      ? new ChainSegment(
          this.cpIndex === 0 ? initialTip(this.partition) : tipAfter(this.checkpoints[this.cpIndex - 1]!),
        )
      : undefined;
  }

  /** The expected leaf prefixes from the current position on (at most `n`, across checkpoint ends). */
  private expectedAhead(n: number): Buffer[] {
    const out = this.expected.slice(this.posInCp, this.posInCp + n);
    for (let k = this.cpIndex + 1; out.length < n && k < this.checkpoints.length; k++)
      out.push(...decodeLeaves(this.checkpoints[k]!.leaves).slice(0, n - out.length));
    return out;
  }

  private expectedOffset(): string {
    const c = this.checkpoints[this.cpIndex]!;
    return (BigInt(c.fromOffset) + BigInt(this.posInCp)).toString();
  }

  /** Feed the partition's next record (offset order). */
  add(offset: string, value: Buffer | null, eventId: string | undefined): void {
    this.result.records++;
    if (eventId !== undefined) {
      if (this.ids.has(eventId)) this.result.duplicates++;
      else this.ids.add(eventId);
    }
    if (this.failed) return;
    const leaf = leafHash(value);
    if (this.window.length > 0) {
      this.window.push({ offset, prefix: leafPrefix(leaf) });
      this.diagnose(false);
      return;
    }
    if (!this.segment) {
      this.result.unsealed++;
      return;
    }
    const prefix = leafPrefix(leaf);
    if (!prefix.equals(this.expected[this.posInCp]!)) {
      this.window.push({ offset, prefix });
      return;
    }
    this.segment.add(offset, value);
    this.posInCp++;
    const c = this.checkpoints[this.cpIndex]!;
    if (this.posInCp === c.count) {
      if (this.segment.headHex !== c.head || this.segment.lastOffset !== c.toOffset) {
        // Same records, different chain: the offsets moved (a gap or renumbering on the log).
        this.fail(
          c.fromOffset,
          'chain-mismatch',
          `checkpoint ${c.sequence}: records match but the recomputed head differs (offsets ${c.fromOffset}-${c.toOffset} were renumbered)`,
        );
        return;
      }
      this.result.checkpoints++;
      this.result.sealed += c.count;
      this.result.sealedThrough = c.toOffset;
      this.cpIndex++;
      this.startCheckpoint();
    }
  }

  /** Name the first difference once the window holds enough records (or the partition ended). */
  private diagnose(atEnd: boolean) {
    if (this.failed || this.window.length === 0) return;
    if (this.window.length < 2 && !atEnd) return;
    const expected = this.expectedAhead(2);
    const kind = classifyMismatch(
      expected,
      this.window.map((w) => w.prefix),
    );
    const at = this.expectedOffset();
    const details: Record<TamperKind, string> = {
      modified: `the record at offset ${at} is not the one sealed (its bytes changed)`,
      deleted: `the record sealed at offset ${at} is missing`,
      inserted: `a record not sealed was inserted at offset ${this.window[0]!.offset}`,
      reordered: `the records sealed at offsets ${at} and ${BigInt(at) + 1n} are swapped`,
    };
    this.fail(kind === 'inserted' ? this.window[0]!.offset : at, kind, details[kind]);
  }

  /** After the partition's last record. */
  end(): PartitionResult {
    this.diagnose(true);
    if (!this.failed && this.segment) {
      this.fail(
        this.expectedOffset(),
        'deleted',
        `the log ends before offset ${this.checkpoints[this.cpIndex]!.toOffset}, which checkpoint ${this.checkpoints[this.cpIndex]!.sequence} sealed`,
      );
    }
    this.ids.clear();
    return this.result;
  }
}
