// POST /v1/decisions:filter — a cohort in (a JSON array of subject ids, read as a stream), one NDJSON
// line per subject out ({subject, decision, reasons}), in the order sent, then a trailer line.
//
// - Freshness: the ledger's high-water marks of ALL partitions are read once and the projection is
//   awaited once, before anything is answered (503 if it does not catch up in time).
// - Rule 1 (the data user's approval for the purpose) is checked once for the whole cohort.
// - The cohort is answered in chunks of CHUNK ids. States come from a snapshot of the whole
//   projection when it is small enough (projectionSnapshot.ts: one pass, overlapping the upload),
//   otherwise from batched projection reads per chunk. An id with no state gets the default model's
//   answer, computed once.
// - Errors: a problem found before the first line was written (bad query, bad id in the first batch,
//   store down) is an ordinary RFC 9457 answer. After that the status is already 200, so the trailer
//   line carries the error instead of a summary, and the client must discard every line. Only a
//   trailer with `summary.logged: true` means the answers are valid and on the decision log.
import type { Request, Response } from 'express';
import { once } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import {
  consentDecision,
  consentDecisionStableUntil,
  dataUserDenial,
  type Decision,
} from '../../contracts/consent/decide.js';
import { utcMillis } from '../../contracts/consent/primitives.js';
import { EMPTY_STATE } from '../../contracts/consent/fold.js';
import type { DataCategory, Purpose } from '../../contracts/consent/vocabulary.js';
import { DomainError } from '../../contracts/domainError.js';
import { problemDocument, problemOf, type ProblemDocument } from '../../adapters/http/problems.js';
import { isUnavailable } from '../../adapters/mongo.js';
import { CohortParser, CohortSyntaxError } from './cohortParser.js';
import { registeredDataUser, type QueryDeps } from './deps.js';
import type { DecisionFacts, KeptAnswer } from './projectionSnapshot.js';

export const MAX_COHORT = 2_000_000;
export const CHUNK = 10_000;

interface FilterAsk {
  purpose: Purpose;
  dataCategory: DataCategory;
  dataUserId: string;
}

/** `,"decision":…,"reasons":[…]}` — everything of a line after the subject. ASCII, as every line is
 *  (subject ids match SUBJECT_ID_PATTERN): the lines go out as latin1 bytes, which ASCII is in UTF-8. */
const lineTail = (d: Decision) =>
  `,"decision":"${d.decision}","reasons":${JSON.stringify(d.reasons.map((r) => r.code))}}\n`;
// eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
const ASCII = /^[\u0000-\u007f]*$/;

export async function filterCohort(req: Request, res: Response, ask: FilterAsk, deps: QueryDeps): Promise<void> {
  const cohort = await cohortAnswers(res, ask, deps);
  const parser = new CohortParser(MAX_COHORT);
  try {
    const cohortSha256 = await readCohort(req, parser, (ids) => cohort.answer(ids));
    const decisionId = randomUUID();
    await deps.decisionLog.record({
      kind: 'filter',
      decisionId,
      at: cohort.at,
      dataUserId: ask.dataUserId,
      purpose: ask.purpose,
      dataCategory: ask.dataCategory,
      cohortSize: parser.count,
      permitted: cohort.counts.permit,
      denied: cohort.counts.deny,
      cohortSha256,
      policyVersion: deps.policies.current.version,
      ledgerMarks: Object.fromEntries(cohort.marks),
    });
    cohort.start();
    const { permit: permitted, deny: denied } = cohort.counts;
    const summary = { decisionId, cohortSize: parser.count, permitted, denied, cohortSha256, logged: true };
    res.end(`${JSON.stringify({ summary })}\n`);
  } catch (err) {
    const problem =
      err instanceof CohortSyntaxError
        ? new DomainError('invalid-request', 'the cohort is not a valid JSON array of subject ids', [err.problem])
        : err;
    if (!cohort.started) throw problem;
    res.end(`${JSON.stringify({ error: trailerError(problem) })}\n`);
  }
}

/** Stream the cohort through the parser, handing on ids CHUNK at a time; resolves to the cohort's sha256. */
async function readCohort(req: Request, parser: CohortParser, answer: (ids: string[]) => Promise<void>) {
  const cohortHash = createHash('sha256');
  let batch: string[] = [];
  // The digest of "<id>\n" for each id, hashed a batch at a time (a million small updates cost a tenth of a filter).
  const answerBatch = async () => {
    if (batch.length > 0) cohortHash.update(`${batch.join('\n')}\n`);
    await answer(batch);
    batch = [];
  };
  for await (const chunk of req) {
    for (const id of parser.push(chunk as Buffer)) {
      batch.push(id);
      if (batch.length >= CHUNK) await answerBatch();
    }
  }
  parser.end();
  await answerBatch();
  return cohortHash.digest('hex');
}

/**
 * Everything decided once per cohort — freshness, rule 1, the default model's answer, the snapshot
 * (started now, so the pass over the projection overlaps the upload) — and the writer of its lines.
 */
async function cohortAnswers(res: Response, ask: FilterAsk, deps: QueryDeps) {
  const marks = await deps.freshness.awaitAll();
  const dataUser = registeredDataUser(await deps.reader.dataUser(ask.dataUserId), ask.dataUserId);
  const at = deps.now().toISOString();
  const refused = dataUserDenial(dataUser, ask.purpose, deps.policies.current, at);
  const point = {
    purpose: ask.purpose,
    dataCategory: ask.dataCategory,
    dataUserCategory: dataUser.category,
    jurisdiction: dataUser.jurisdiction,
  };
  const byDefault = refused ?? consentDecision(EMPTY_STATE, point, deps.policies, at);
  // A few distinct lines: one string each, not one per subject; checked ASCII once, as each first appears.
  const tails = new Map<string, string>();
  const tailOf = (d: Decision): string => {
    const line = lineTail(d);
    const known = tails.get(line);
    if (known !== undefined) return known;
    if (!ASCII.test(line)) throw new Error('a decision line is not ASCII'); // codes and decisions are ASCII names
    tails.set(line, line);
    return line;
  };
  const noState = tailOf(byDefault);
  const snapshot = refused ? Promise.resolve(undefined) : deps.snapshots.all(marks);
  snapshot.catch(() => undefined); // awaited (and its error reported) with the first chunk

  // A subject's answer, and how long the clock leaves it so (a snapshot keeps it for the next filter).
  const askKey = JSON.stringify([point, deps.policies.current.version]);
  const atMs = utcMillis(at);
  const answerOf = (state: DecisionFacts): KeptAnswer => {
    const d = consentDecision(state, point, deps.policies, at);
    const until = consentDecisionStableUntil(state, deps.policies, at);
    return { decision: d.decision, tail: tailOf(d), untilMs: until === undefined ? Infinity : utcMillis(until) };
  };
  const mapAnswer = (state: DecisionFacts | undefined) => (state ? answerOf(state) : undefined);

  const counts = { permit: 0, deny: 0 };
  const lines = async (ids: string[]): Promise<string> => {
    let text = '';
    if (refused) {
      for (const id of ids) text += `{"subject":"${id}"${noState}`;
      counts.deny += ids.length;
      return text;
    }
    const snap = await snapshot;
    const states = snap ?? (await deps.reader.subjects(ids));
    for (const id of ids) {
      const a = snap ? snap.answer(id, askKey, atMs, answerOf) : mapAnswer(states.get(id));
      counts[a?.decision ?? byDefault.decision]++;
      text += `{"subject":"${id}"${a?.tail ?? noState}`;
    }
    return text;
  };

  const cohort = {
    marks,
    at,
    counts,
    /** Once true the status (200) is sent: an error can only go in the trailer. */
    started: false,
    start: () => {
      if (!cohort.started) res.status(200).type('application/x-ndjson');
      cohort.started = true;
    },
    answer: async (ids: string[]) => {
      if (ids.length === 0) return;
      // As bytes: a string answer made http measure its UTF-8 length and encode it, two more passes over
      // ~80 MB for a million subjects (a fifth of a filter's CPU); latin1 is one copy.
      const bytes = Buffer.from(await lines(ids), 'latin1');
      cohort.start();
      if (!res.write(bytes)) await once(res, 'drain');
    },
  };
  return cohort;
}

/** The trailer's error: the problem the same error gets as an ordinary answer, told to discard the lines. */
function trailerError(err: unknown): ProblemDocument {
  if (err instanceof DomainError) return problemOf(err)!;
  return isUnavailable(err)
    ? problemDocument('unavailable', 'the projection store became unavailable; discard the answers and retry')
    : problemDocument('internal', 'an internal error occurred; discard the answers and retry');
}
