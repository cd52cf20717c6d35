// The one module that knows the MongoDB driver. Locally the server is FerretDB (SQLite or PostgreSQL), so
// code uses only what both support: no multi-document transactions, no change streams, no TTL or
// partial indexes, no $lookup (see README "MongoDB wire compatibility").
import { MongoClient, MongoServerError, type Db, type Collection } from 'mongodb';

export type { Db, Collection };
export type { AnyBulkWriteOperation, Filter } from 'mongodb';

export interface MongoSettings {
  url: string;
  db: string;
  serverSelectionTimeoutMs?: number;
  socketTimeoutMs?: number;
}

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(settings: MongoSettings): Promise<MongoHandle> {
  const handle = openMongo(settings);
  await handle.client.connect();
  return handle;
}

/**
 * A handle whose client connects on first use (the driver connects lazily), for a read service that
 * must start — and answer 503 with Retry-After — while the database is down, rather than exit.
 */
export function openMongo(settings: MongoSettings): MongoHandle {
  const client = new MongoClient(settings.url, {
    // Fail fast when the server is down, so APIs answer 503 instead of hanging.
    serverSelectionTimeoutMS: settings.serverSelectionTimeoutMs ?? 3000,
    connectTimeoutMS: 3000,
    // No operation may hang a request forever (the driver's default is no socket timeout).
    socketTimeoutMS: settings.socketTimeoutMs ?? 30_000,
    retryWrites: true,
  });
  return { client, db: client.db(settings.db), close: () => client.close() };
}

/**
 * True for a unique-index violation. FerretDB reports 11000 for inserts but code 1 for updates, with
 * the backend's own text: SQLite's "UNIQUE constraint failed" or PostgreSQL's unique_violation
 * (SQLSTATE 23505). All are recognised here, once.
 */
export function isDuplicateKey(err: unknown): boolean {
  if (!(err instanceof MongoServerError)) return false;
  if (err.code === 11000) return true;
  return err.code === 1 && isUniqueViolationText(err.message);
}

const isUniqueViolationText = (message: string) =>
  message.includes('UNIQUE constraint failed') || message.includes('(SQLSTATE 23505)');

/**
 * Insert each document unless its _id exists (unordered: one round trip); returns the indices (in
 * `docs`) of those that were not inserted because the _id existed.
 * A failure without per-document errors (a lost connection) is thrown: then nothing is known inserted.
 */
export async function insertIgnoringDuplicates<T extends { _id: string }>(
  col: Collection<T>,
  docs: T[],
): Promise<Set<number>> {
  try {
    await col.insertMany(docs as never, { ordered: false });
    return new Set();
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { index: number; code?: number; errmsg?: string }[] }).writeErrors;
    const duplicate = (w: { code?: number; errmsg?: string }) =>
      w.code === 11000 || isUniqueViolationText(w.errmsg ?? '');
    if (!writeErrors?.length || !writeErrors.every(duplicate)) throw err;
    return new Set(writeErrors.map((w) => w.index));
  }
}

/** True when the error means "the database cannot be reached right now" (→ 503, retry later). */
export function isUnavailable(err: unknown, depth = 0): boolean {
  const e = err as { name?: string; message?: string; cause?: unknown } | null;
  const name = e?.name ?? '';
  if (
    /MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoTopologyClosedError|MongoNotConnectedError|MongoPoolClearedError/.test(
      name,
    )
  )
    return true;
  // A bulk write whose connection timed out or closed is reported as MongoBulkWriteError: the server
  // was too slow or went away, not a bad request.
  if (name.startsWith('Mongo') && /timed out|connection .* closed|ECONNREFUSED|ECONNRESET/.test(e?.message ?? ''))
    return true;
  return depth < 3 && e?.cause !== undefined && isUnavailable(e.cause, depth + 1);
}

/**
 * A value stored as its JSON text in one field, `{_id, json}`. FerretDB converts every field of a
 * document, and its type, on each write and read: for nested values (an event, a subject's state)
 * that was a third of its CPU under ingest load and most of it under a mixed load; one string costs a
 * fraction. The value must be plain JSON. Readers of collections written before keep a fallback for
 * documents that hold the value's fields themselves (`isJsonText` tells them apart).
 */
export interface JsonTextDoc {
  _id: string;
  json: string;
}

export const toJsonText = (id: string, value: unknown): JsonTextDoc => ({ _id: id, json: JSON.stringify(value) });

export const isJsonText = (doc: object): doc is JsonTextDoc => typeof (doc as { json?: unknown }).json === 'string';

export const fromJsonText = (doc: JsonTextDoc): unknown => JSON.parse(doc.json);
