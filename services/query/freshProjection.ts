// Reads of the projection that are never staler than the ledger at the moment of the call: each read
// first waits for freshness (freshness.ts), then reads through a cache that is valid only at the same
// ledger high-water mark (markedCache.ts). In steady state a decision costs no database read at all;
// after any new record on a subject's partition, the next read goes to the store again.
import type { SubjectState } from '../../contracts/consent/fold.js';
import type { DataUserRecord } from '../../contracts/consent/dataUsers.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { LedgerFreshness } from './freshness.js';
import { MarkedCache } from './markedCache.js';

export class FreshProjection {
  private readonly states: MarkedCache<SubjectState | undefined>;
  private readonly users: MarkedCache<DataUserRecord | undefined>;

  constructor(
    private readonly reader: ProjectionReader,
    private readonly freshness: LedgerFreshness,
    maxEntries: number,
  ) {
    this.states = new MarkedCache(maxEntries);
    this.users = new MarkedCache(Math.min(maxEntries, 10_000));
  }

  private markOf(marks: ReadonlyMap<number, string>, key: string): string {
    return marks.get(this.freshness.partitionOf(key)) ?? '0';
  }

  async subject(id: string): Promise<SubjectState | undefined> {
    const marks = await this.freshness.awaitKeys([id]);
    return this.states.through(id, this.markOf(marks, id), () => this.reader.subject(id));
  }

  async dataUser(id: string): Promise<DataUserRecord | undefined> {
    const marks = await this.freshness.awaitKeys([id]);
    return this.users.through(id, this.markOf(marks, id), () => this.reader.dataUser(id));
  }

  /** One freshness wait for both (a decision). */
  async subjectAndDataUser(
    subject: string,
    dataUserId: string,
  ): Promise<[SubjectState | undefined, DataUserRecord | undefined]> {
    const marks = await this.freshness.awaitKeys([subject, dataUserId]);
    return Promise.all([
      this.states.through(subject, this.markOf(marks, subject), () => this.reader.subject(subject)),
      this.users.through(dataUserId, this.markOf(marks, dataUserId), () => this.reader.dataUser(dataUserId)),
    ]);
  }
}
