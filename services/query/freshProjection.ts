// Reads of the projection that are never staler than the ledger at the moment of the call: each read
// first waits for freshness (freshness.ts), then reads through a cache that is valid only at the same
// ledger high-water mark, or at a later one when the ledger's recent keys (recentLedgerKeys.ts) show no
// record for that key in between (markedCache.ts). In steady state a decision costs no database read
// at all; after a new record for the subject (or one the recent keys cannot rule out), the next read
// goes to the store again.
import type { SubjectState } from '../../contracts/consent/fold.js';
import type { DataUserRecord } from '../../contracts/consent/dataUsers.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { LedgerFreshness } from './freshness.js';
import { MarkedCache, type UnchangedSince } from './markedCache.js';
import type { RecentLedgerKeys } from './recentLedgerKeys.js';
import { queryMetrics } from './metrics.js';

export class FreshProjection {
  private readonly states: MarkedCache<SubjectState | undefined>;
  private readonly users: MarkedCache<DataUserRecord | undefined>;

  constructor(
    private readonly reader: ProjectionReader,
    private readonly freshness: LedgerFreshness,
    maxEntries: number,
    private readonly recent?: RecentLedgerKeys,
  ) {
    this.states = new MarkedCache(maxEntries, (outcome) => queryMetrics.cacheReads.inc({ cache: 'subject', outcome }));
    this.users = new MarkedCache(Math.min(maxEntries, 10_000), (outcome) =>
      queryMetrics.cacheReads.inc({ cache: 'dataUser', outcome }),
    );
  }

  private markOf(marks: ReadonlyMap<number, string>, key: string): string {
    return marks.get(this.freshness.partitionOf(key)) ?? '0';
  }

  /** Whether `key` is known to have no ledger record between an entry's mark and `mark`. */
  private unchanged(key: string, mark: string): UnchangedSince | undefined {
    const recent = this.recent;
    if (!recent) return undefined;
    return (since) => recent.unchangedBetween(key, this.freshness.partitionOf(key), Number(since), Number(mark));
  }

  async subject(id: string): Promise<SubjectState | undefined> {
    const marks = await this.freshness.awaitKeys([id]);
    const mark = this.markOf(marks, id);
    return this.states.through(id, mark, () => this.reader.subject(id), this.unchanged(id, mark));
  }

  async dataUser(id: string): Promise<DataUserRecord | undefined> {
    const marks = await this.freshness.awaitKeys([id]);
    const mark = this.markOf(marks, id);
    return this.users.through(id, mark, () => this.reader.dataUser(id), this.unchanged(id, mark));
  }

  /** One freshness wait for both (a decision). */
  async subjectAndDataUser(
    subject: string,
    dataUserId: string,
  ): Promise<[SubjectState | undefined, DataUserRecord | undefined]> {
    const marks = await this.freshness.awaitKeys([subject, dataUserId]);
    const [subjectMark, userMark] = [this.markOf(marks, subject), this.markOf(marks, dataUserId)];
    return Promise.all([
      this.states.through(
        subject,
        subjectMark,
        () => this.reader.subject(subject),
        this.unchanged(subject, subjectMark),
      ),
      this.users.through(
        dataUserId,
        userMark,
        () => this.reader.dataUser(dataUserId),
        this.unchanged(dataUserId, userMark),
      ),
    ]);
  }
}
