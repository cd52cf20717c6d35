// Fetching documents by many ids. FerretDB 1.x (SQLite) pushes only `_id` equality down to its
// index: an `$in` scans the whole collection (measured: 20 ids of 2,000 documents ≈ 2.8 s, 20
// parallel findOne ≈ 0.5 s, and the scan grows with the collection). So a few ids are fetched one by
// one, in parallel; many ids (a cohort) go in `$in` batches, which MongoDB answers from its index.
import type { Collection, Filter } from '../adapters/mongo.js';

/** Up to this many ids are fetched with single-id queries. */
const SINGLE_LOOKUP_MAX = 256;
/** Ids per `$in` query: bounded request size, few round trips. */
export const IN_BATCH = 1000;
const PARALLEL = 16;

export async function findByIds<D extends { _id: string }>(
  col: Collection<D>,
  ids: readonly string[],
  singleMax = SINGLE_LOOKUP_MAX,
): Promise<D[]> {
  const out: D[] = [];
  if (ids.length <= singleMax) {
    for (let i = 0; i < ids.length; i += PARALLEL) {
      const docs = await Promise.all(ids.slice(i, i + PARALLEL).map((id) => col.findOne({ _id: id } as Filter<D>)));
      for (const d of docs) if (d) out.push(d as D);
    }
    return out;
  }
  for (let i = 0; i < ids.length; i += IN_BATCH) {
    out.push(...((await col.find({ _id: { $in: ids.slice(i, i + IN_BATCH) } } as Filter<D>).toArray()) as D[]));
  }
  return out;
}
