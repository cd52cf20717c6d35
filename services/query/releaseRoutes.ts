// Releases: which subjects' data went to which data user, for which purpose and data categories.
//   POST /v1/releases  hospital (source = its organisation) or admin (source sys:registry)
//        → one release.recorded per subject, keyed by subject, id `<releaseId>.<subject>`;
//          at most MAX_RELEASE_SUBJECTS per call (a larger release: several calls, same releaseId).
//   GET  /v1/releases  a data user sees only its own; a hospital those it recorded; admin/auditor all.
// The ledger is authoritative (each subject's fold keeps its releases; holdersWithin answers who
// holds what). The list answered by GET is a per-release summary kept by this service as it records
// them (collection query_releases): only newly written events are counted, so a retry changes nothing.
import express, { Router } from 'express';
import type { z } from 'zod';
import { callerOf, requireRole } from '../../access/authenticate.js';
import type { Caller } from '../../access/credentials.js';
import { DomainError } from '../../contracts/domainError.js';
import type { Collection, Db } from '../../adapters/mongo.js';
import type { LedgerAppender } from '../../ledger/appendOnce.js';
import type { DataCategory, Purpose } from '../../contracts/consent/vocabulary.js';
import { compareUtc } from '../../contracts/consent/primitives.js';
import { RecordRelease, ReleasesQuery, parseOr400 } from './schemas.js';
import { REGISTRY_SOURCE, appendChunked, occurredAtFor, systemEvent } from './registryEvents.js';
import type { QueryDeps } from './deps.js';

interface ReleaseDoc {
  _id: string;
  dataUserId: string;
  purpose: Purpose;
  dataCategories: DataCategory[];
  source: string;
  subjects: number;
  firstRecordedAt: string;
}

type ReleaseRequest = z.output<typeof RecordRelease>;

export function releaseRoutes(deps: QueryDeps & { ledger: LedgerAppender; db: Db }): Router {
  const col: Collection<ReleaseDoc> = deps.db.collection<ReleaseDoc>('query_releases');
  const r = Router();
  r.post('/v1/releases', requireRole('hospital', 'admin'), express.json({ limit: '1mb' }), async (req, res) => {
    const caller = callerOf(req);
    const body = parseOr400(RecordRelease, req.body);
    const now = deps.now().toISOString();
    refuseMalformedRelease(body, now);
    const source = caller.role === 'hospital' ? caller.principal : REGISTRY_SOURCE;
    if (!(await deps.fresh.dataUser(body.dataUserId))) {
      throw new DomainError('unprocessable', `data user ${body.dataUserId} is not registered`, [
        { field: '/dataUserId', message: 'no registered data user with this id' },
      ]);
    }
    await refuseOtherRelease(col, body, source);
    const appended = await appendChunked(deps.ledger, await releaseEvents(deps.ledger, body, source, now));
    const fresh = appended.filter((a) => !a.replayed).length;
    await countRecorded(col, body, source, now, fresh);
    if (fresh === 0) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({ releaseId: body.releaseId, recorded: fresh, replayed: appended.length - fresh });
  });
  r.get('/v1/releases', async (req, res) => {
    const { dataUserId } = parseOr400(ReleasesQuery, req.query);
    const docs = await col
      .find(visibleReleases(callerOf(req), dataUserId))
      .sort({ firstRecordedAt: 1 })
      .limit(1000)
      .toArray();
    res.json({ releases: docs.map(({ _id, ...d }) => ({ releaseId: _id, ...d })) });
  });
  return r;
}

function refuseMalformedRelease(body: ReleaseRequest, now: string): void {
  const seen = new Set<string>();
  const dups = body.subjects.flatMap((s, i) =>
    seen.has(s) ? [{ field: `/subjects/${i}`, message: 'repeats an earlier subject' }] : (seen.add(s), []),
  );
  if (dups.length > 0) throw new DomainError('invalid-request', 'a subject appears more than once', dups);
  // Refused here, naming the request's field (found by fuzzing: the ledger writer used to refuse it as 422 at /data/occurredAt).
  if (body.occurredAt !== undefined && compareUtc(body.occurredAt, now) > 0) {
    throw new DomainError('invalid-request', 'a release cannot have happened in the future', [
      { field: '/occurredAt', message: 'must not be in the future' },
    ]);
  }
}

/** A releaseId names one release: the same id again (a retry, or the next part of a large release) must say the same. */
async function refuseOtherRelease(col: Collection<ReleaseDoc>, body: ReleaseRequest, source: string): Promise<void> {
  const existing = await col.findOne({ _id: body.releaseId });
  const sameRelease = (d: ReleaseDoc) =>
    d.dataUserId === body.dataUserId &&
    d.purpose === body.purpose &&
    d.source === source &&
    d.dataCategories.join() === body.dataCategories.join();
  if (existing && !sameRelease(existing)) {
    throw new DomainError(
      'conflict',
      'this releaseId was recorded for another data user, purpose, data categories or source',
      [{ field: '/releaseId', message: 'already used for a different release' }],
    );
  }
}

async function releaseEvents(ledger: LedgerAppender, body: ReleaseRequest, source: string, now: string) {
  const idOf = (subject: string) => `${body.releaseId}.${subject}`;
  const occurredAt = body.occurredAt ?? (await occurredAtFor(ledger, idOf(body.subjects[0]!), now));
  return body.subjects.map((subject) =>
    systemEvent('release.recorded', idOf(subject), subject, source, now, {
      occurredAt,
      releaseId: body.releaseId,
      dataUserId: body.dataUserId,
      purpose: body.purpose,
      dataCategories: body.dataCategories,
    }),
  );
}

/** The per-release summary GET answers: only newly written events count, so a retry changes nothing. */
async function countRecorded(
  col: Collection<ReleaseDoc>,
  body: ReleaseRequest,
  source: string,
  now: string,
  fresh: number,
): Promise<void> {
  await col.updateOne(
    { _id: body.releaseId },
    {
      $setOnInsert: {
        dataUserId: body.dataUserId,
        purpose: body.purpose,
        dataCategories: body.dataCategories,
        source,
        firstRecordedAt: now,
      },
      $inc: { subjects: fresh },
    },
    { upsert: true },
  );
}

/** A data user sees only its own releases; a hospital those it recorded; admin and auditor all. */
function visibleReleases(caller: Caller, dataUserId: string | undefined): Partial<ReleaseDoc> {
  if (caller.role === 'dataUser') {
    if (dataUserId !== undefined && dataUserId !== caller.principal) {
      throw new DomainError('forbidden', 'a data user sees only its own releases', [
        { field: '/dataUserId', message: 'must be your own data user id (or left out)' },
      ]);
    }
    return { dataUserId: caller.principal };
  }
  return {
    ...(caller.role === 'hospital' ? { source: caller.principal } : {}),
    ...(dataUserId !== undefined ? { dataUserId } : {}),
  };
}
