// Every read of a person's record, kept durably (MongoDB, majority write) before the answer is sent,
// so the person's view can show who looked. Holds the pseudonym, never an NHS number.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from '../../adapters/mongo.js';
import type { RecordRead } from '../../contracts/transparency.js';

interface ReadDoc extends RecordRead {
  _id: string;
  subject: string;
}

export class ReadLog {
  private readonly col: Collection<ReadDoc>;

  constructor(db: Db) {
    this.col = db.collection<ReadDoc>('subject_reads');
  }

  private indexed = false;

  /** The person's view asks by subject: without an index every view would scan every read ever logged.
   *  Created on first use, never awaited: a query instance starts (and answers 503) while MongoDB is down. */
  private ensureIndex(): void {
    if (this.indexed) return;
    this.indexed = true;
    this.col.createIndex({ subject: 1, at: 1 }).catch(() => {
      this.indexed = false; // the next use tries again
    });
  }

  async record(subject: string, read: RecordRead): Promise<void> {
    this.ensureIndex();
    await this.col.insertOne({ _id: randomUUID(), subject, ...read }, { writeConcern: { w: 'majority' } });
  }

  /** The subject's reads, oldest first. */
  async of(subject: string): Promise<RecordRead[]> {
    this.ensureIndex();
    const docs = await this.col.find({ subject }).sort({ at: 1, _id: 1 }).toArray();
    return docs.map(({ at, reader, role, what, why }) => ({ at, reader, role, what, why }));
  }
}
