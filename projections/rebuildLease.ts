// One rebuild at a time, and nothing left behind by one that was killed. A rebuild holds a lease,
// `projection_meta/rebuilding`, naming the generation it fills and renewed while it runs. A new
// rebuild finding a lease whose holder is gone (its process no longer exists on this host, or it
// has not renewed for LEASE_STALE_MS) drops that half-built generation and takes the lease; a live
// holder makes it refuse.
import { hostname } from 'node:os';
import type { Db } from '../adapters/mongo.js';
import { isDuplicateKey } from '../adapters/mongo.js';
import { META_COLLECTION, dropGeneration } from './generation.js';

export const LEASE_STALE_MS = 60_000;
const RENEW_EVERY_MS = 10_000;

interface LeaseDoc {
  _id: 'rebuilding';
  generation: string;
  host: string;
  pid: number;
  renewedAt: number;
}

export class RebuildRunning extends Error {
  constructor(readonly holder: LeaseDoc) {
    super(
      `another rebuild (generation ${holder.generation}, pid ${holder.pid} on ${holder.host}) is running; wait for it to finish`,
    );
  }
}

export interface RebuildLease {
  /** The half-built generation of a dead rebuild that was dropped, if there was one. */
  dropped?: string;
  release(): Promise<void>;
}

function holderGone(lease: LeaseDoc, now: number): boolean {
  if (now - lease.renewedAt > LEASE_STALE_MS) return true;
  if (lease.host !== hostname()) return false;
  try {
    process.kill(lease.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Take the lease for `generation`, first dropping what a dead rebuild left; throws RebuildRunning. */
export async function takeRebuildLease(db: Db, generation: string, now = () => Date.now()): Promise<RebuildLease> {
  const leases = db.collection<LeaseDoc>(META_COLLECTION);
  const mine: LeaseDoc = { _id: 'rebuilding', generation, host: hostname(), pid: process.pid, renewedAt: now() };
  let dropped: string | undefined;
  for (;;) {
    const held = await leases.findOne({ _id: 'rebuilding' });
    if (held) {
      if (!holderGone(held, now())) throw new RebuildRunning(held);
      // Only the rebuild that removes this exact lease drops its generation.
      const removed = await leases.deleteOne({
        _id: 'rebuilding',
        generation: held.generation,
        renewedAt: held.renewedAt,
      });
      if (removed.deletedCount === 1) {
        await dropGeneration(db, held.generation);
        dropped = held.generation;
      }
      continue;
    }
    try {
      await leases.insertOne({ ...mine, renewedAt: now() });
      break;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another rebuild took it meanwhile: look again
    }
  }
  const timer = setInterval(() => {
    leases.updateOne({ _id: 'rebuilding', generation }, { $set: { renewedAt: now() } }).catch(() => undefined);
  }, RENEW_EVERY_MS);
  timer.unref();
  return {
    dropped,
    release: async () => {
      clearInterval(timer);
      await leases.deleteOne({ _id: 'rebuilding', generation });
    },
  };
}
