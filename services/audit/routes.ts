// Read-only audit endpoints (auditor credential): the CLI's verify, replay, state --as-of, withdrawals
// and report over HTTP. Only GET routes exist and the service holds no producer: it cannot write.
// A run reads the whole ledger, so one runs at a time (the others get 503 + Retry-After) — an audit
// endpoint must not be a lever to starve the machine.
import { Router, type Request } from 'express';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Kafka } from '../../adapters/kafka.js';
import { DomainError } from '../../contracts/domainError.js';
import { SubjectIdSchema, UtcTimestampSchema } from '../../contracts/consent/primitives.js';
import { keyIdOf, publicKeyPem } from '../../contracts/checkpoint.js';
import type { PolicySet } from '../../contracts/consent/policy.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { verifyLedger } from './verify.js';
import { replayLedger } from './replay.js';
import { subjectAsOf, summariseLedger } from './summary.js';
import { buildReport } from './report.js';
import { renderReportHtml } from './reportHtml.js';

import { publicStateAsOf } from './responses.js';

export interface AuditDeps {
  kafka: Kafka;
  projection: ProjectionReader;
  trustedKey: KeyObject;
  ledgerTopic: string;
  checkpointsTopic: string;
  /** Every policy version the deployment applied (the release-after-refusal rule asks decide). */
  policies: PolicySet;
  now: () => Date;
}

export const AsOfQuery = z.strictObject({ asOf: UtcTimestampSchema.optional() });
export const SinceQuery = z.strictObject({ since: UtcTimestampSchema.optional() });
export const ReplayQuery = z.strictObject({ deep: z.enum(['true', 'false']).default('false') });
export const ReportQuery = z.strictObject({ format: z.enum(['json', 'html']).default('json') });

function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new DomainError(
    'invalid-request',
    'invalid query parameters',
    r.error.issues.map((i) => ({ field: `/${i.path.join('/')}`, message: i.message })),
  );
}

/** kafkajs' connection and retry errors → 503: an audit never answers from a guess. */
function unavailableIfKafka(err: unknown): never {
  const name = (err as Error | null | undefined)?.name ?? ''; // anything may be thrown
  if (name.startsWith('KafkaJS'))
    throw new DomainError('unavailable', 'the ledger (Kafka) is unavailable; nothing was audited');
  throw err;
}

export function auditRoutes(deps: AuditDeps): Router {
  const r = Router();
  let busy = false;
  const exclusive = async <T>(f: () => Promise<T>): Promise<T> => {
    if (busy) throw new DomainError('unavailable', 'another audit run is in progress; retry later');
    busy = true;
    try {
      return await f().catch(unavailableIfKafka);
    } finally {
      busy = false;
    }
  };
  const topics = {
    ledgerTopic: deps.ledgerTopic,
    checkpointsTopic: deps.checkpointsTopic,
    trustedKey: deps.trustedKey,
  };

  r.get('/v1/audit/verify', async (_req, res) => {
    res.json(await exclusive(() => verifyLedger(deps.kafka, topics)));
  });
  r.get('/v1/audit/replay', async (req, res) => {
    const deep = parseOr400(ReplayQuery, req.query).deep === 'true';
    res.json(await exclusive(() => replayLedger(deps.kafka, deps.projection, { ledgerTopic: deps.ledgerTopic, deep })));
  });
  r.get('/v1/audit/subjects/:subject/state', async (req: Request<{ subject: string }>, res) => {
    const subject = SubjectIdSchema.safeParse(req.params.subject);
    if (!subject.success)
      throw new DomainError('invalid-request', 'malformed subject id', [
        { field: '/subject', message: subject.error.issues[0]!.message },
      ]);
    const { asOf } = parseOr400(AsOfQuery, req.query);
    const at = asOf ?? deps.now().toISOString();
    if (Date.parse(at) > deps.now().getTime())
      throw new DomainError('invalid-request', 'asOf must not be in the future', [
        { field: '/asOf', message: 'must be a past instant' },
      ]);
    const report = await exclusive(() =>
      subjectAsOf(deps.kafka, { ledgerTopic: deps.ledgerTopic, subject: subject.data, asOf: at }),
    );
    res.json(publicStateAsOf(report));
  });
  r.get('/v1/audit/withdrawals', async (req, res) => {
    const { since } = parseOr400(SinceQuery, req.query);
    const s = await exclusive(() =>
      summariseLedger(deps.kafka, {
        ledgerTopic: deps.ledgerTopic,
        policies: deps.policies,
        ...(since ? { since } : {}),
        now: new Date().toISOString(),
      }),
    );
    res.json({ withdrawals: s.withdrawals, releasesAfterRefusal: s.releasesAfterRefusal });
  });
  r.get('/v1/audit/report', async (req, res) => {
    const { format } = parseOr400(ReportQuery, req.query);
    const report = await exclusive(() =>
      buildReport(deps.kafka, { ...topics, policies: deps.policies, now: deps.now }),
    );
    if (format === 'html') res.type('text/html; charset=utf-8').send(renderReportHtml(report));
    else res.json(report);
  });
  return r;
}

/** Public: the key auditors should pin (also printed by the sealer at /v1/public-key). */
export function publicKeyRoute(trustedKey: KeyObject): Router {
  const pem = publicKeyPem(trustedKey);
  return Router().get('/v1/audit/public-key', (_req, res) => {
    res.json({ keyId: keyIdOf(trustedKey), algorithm: 'Ed25519', publicKeyPem: pem });
  });
}
