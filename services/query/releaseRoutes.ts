// Releases: which subjects' data went to which data user, for which purpose and data categories.
//   POST /v1/releases  hospital (source = its organisation) or admin (source sys:registry)
//        → one release.recorded per subject, keyed by subject, id `<releaseId>.<subject>`;
//          at most MAX_RELEASE_SUBJECTS per call (a larger release: several calls, same releaseId).
//   GET  /v1/releases  a data user sees only its own; a hospital those it recorded; admin/auditor all.
// The ledger is authoritative (each subject's fold keeps its releases; holdersWithin answers who
// holds what). The list answered by GET is a per-release summary kept by this service as it records
// them (collection query_releases): only newly written events are counted, so a retry changes nothing.
import express, { Router } from 'express';
import { callerOf, requireRole } from '../../access/authenticate.js';
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

export function releaseRoutes(deps: QueryDeps & { ledger: LedgerAppender; db: Db }): Router {
  const col: Collection<ReleaseDoc> = deps.db.collection<ReleaseDoc>('query_releases');
  const r = Router();
  r.post('/v1/releases', requireRole('hospital', 'admin'), express.json({ limit: '1mb' }), async (req, res) => {
    const caller = callerOf(req);
    const body = parseOr400(RecordRelease, req.body);
    const seen = new Set<string>();
    const dups = body.subjects.flatMap((s, i) =>
      seen.has(s) ? [{ field: `/subjects/${i}`, message: 'repeats an earlier subject' }] : (seen.add(s), []),
    );
    if (dups.length > 0) throw new DomainError('invalid-request', 'a subject appears more than once', dups);
    // Refused here, naming the request's field (found by fuzzing: the ledger writer used to refuse it as 422 at /data/occurredAt).
    if (body.occurredAt !== undefined && compareUtc(body.occurredAt, deps.now().toISOString()) > 0) {
      throw new DomainError('invalid-request', 'a release cannot have happened in the future', [
        { field: '/occurredAt', message: 'must not be in the future' },
      ]);
    }
    const source = caller.role === 'hospital' ? caller.principal : REGISTRY_SOURCE;
    if (!(await deps.fresh.dataUser(body.dataUserId))) {
      throw new DomainError('unprocessable', `data user ${body.dataUserId} is not registered`, [
        { field: '/dataUserId', message: 'no registered data user with this id' },
      ]);
    }
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
    const now = deps.now().toISOString();
    const idOf = (subject: string) => `${body.releaseId}.${subject}`;
    const occurredAt = body.occurredAt ?? (await occurredAtFor(deps.ledger, idOf(body.subjects[0]!), now));
    const events = body.subjects.map((subject) =>
      systemEvent('release.recorded', idOf(subject), subject, source, now, {
        occurredAt,
        releaseId: body.releaseId,
        dataUserId: body.dataUserId,
        purpose: body.purpose,
        dataCategories: body.dataCategories,
      }),
    );
    const appended = await appendChunked(deps.ledger, events);
    const fresh = appended.filter((a) => !a.replayed).length;
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
    if (fresh === 0) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({ releaseId: body.releaseId, recorded: fresh, replayed: appended.length - fresh });
  });
  r.get('/v1/releases', async (req, res) => {
    const caller = callerOf(req);
    const { dataUserId } = parseOr400(ReleasesQuery, req.query);
    const filter: Partial<ReleaseDoc> = {};
    if (caller.role === 'dataUser') {
      if (dataUserId !== undefined && dataUserId !== caller.principal) {
        throw new DomainError('forbidden', 'a data user sees only its own releases', [
          { field: '/dataUserId', message: 'must be your own data user id (or left out)' },
        ]);
      }
      filter.dataUserId = caller.principal;
    } else {
      if (caller.role === 'hospital') filter.source = caller.principal;
      if (dataUserId !== undefined) filter.dataUserId = dataUserId;
    }
    const docs = await col.find(filter).sort({ firstRecordedAt: 1 }).limit(1000).toArray();
    res.json({ releases: docs.map(({ _id, ...d }) => ({ releaseId: _id, ...d })) });
  });
  return r;
}
