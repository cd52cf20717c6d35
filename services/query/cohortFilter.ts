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
import { consentDecision, dataUserDenial, type Decision } from '../../contracts/consent/decide.js';
import { EMPTY_STATE } from '../../contracts/consent/fold.js';
import type { DataCategory, Purpose } from '../../contracts/consent/vocabulary.js';
import { DomainError } from '../../contracts/domainError.js';
import { problemDocument, problemOf, type ProblemDocument } from '../../adapters/http/problems.js';
import { isUnavailable } from '../../adapters/mongo.js';
import { CohortParser, CohortSyntaxError } from './cohortParser.js';
import { registeredDataUser, type QueryDeps } from './deps.js';

export const MAX_COHORT = 2_000_000;
export const CHUNK = 10_000;

interface FilterAsk {
  purpose: Purpose;
  dataCategory: DataCategory;
  dataUserId: string;
}

/** `,"decision":…,"reasons":[…]}` — everything of a line after the subject. */
const lineTail = (d: Decision) =>
  `,"decision":"${d.decision}","reasons":${JSON.stringify(d.reasons.map((r) => r.code))}}\n`;

export async function filterCohort(req: Request, res: Response, ask: FilterAsk, deps: QueryDeps): Promise<void> {
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
  const noState = lineTail(byDefault);
  const counts = { permit: 0, deny: 0 };
  const cohortHash = createHash('sha256');
  const parser = new CohortParser(MAX_COHORT);
  let started = false;

  // Started now, so the pass over the projection overlaps the upload of the cohort.
  const snapshot = refused ? Promise.resolve(undefined) : deps.snapshots.all(marks);
  snapshot.catch(() => undefined); // awaited (and its error reported) with the first chunk
  const answer = async (ids: string[]) => {
    if (ids.length === 0) return;
    let text = '';
    if (refused) {
      for (const id of ids) text += `{"subject":"${id}"${noState}`;
      counts.deny += ids.length;
    } else {
      const states = (await snapshot) ?? (await deps.reader.subjects(ids));
      for (const id of ids) {
        const state = states.get(id);
        if (!state) {
          text += `{"subject":"${id}"${noState}`;
          counts[byDefault.decision]++;
          continue;
        }
        const d = consentDecision(state, point, deps.policies, at);
        counts[d.decision]++;
        text += `{"subject":"${id}"${lineTail(d)}`;
      }
    }
    if (!started) {
      res.status(200).type('application/x-ndjson');
      started = true;
    }
    if (!res.write(text)) await once(res, 'drain');
  };

  try {
    let batch: string[] = [];
    for await (const chunk of req) {
      for (const id of parser.push(chunk as Buffer)) {
        cohortHash.update(`${id}\n`);
        batch.push(id);
        if (batch.length >= CHUNK) {
          await answer(batch);
          batch = [];
        }
      }
    }
    parser.end();
    await answer(batch);
    const decisionId = randomUUID();
    const cohortSha256 = cohortHash.digest('hex');
    await deps.decisionLog.record({
      kind: 'filter',
      decisionId,
      at,
      dataUserId: ask.dataUserId,
      purpose: ask.purpose,
      dataCategory: ask.dataCategory,
      cohortSize: parser.count,
      permitted: counts.permit,
      denied: counts.deny,
      cohortSha256,
      policyVersion: deps.policies.current.version,
      ledgerMarks: Object.fromEntries(marks),
    });
    if (!started) res.status(200).type('application/x-ndjson');
    res.end(
      `${JSON.stringify({ summary: { decisionId, cohortSize: parser.count, permitted: counts.permit, denied: counts.deny, cohortSha256, logged: true } })}\n`,
    );
  } catch (err) {
    const problem =
      err instanceof CohortSyntaxError
        ? new DomainError('invalid-request', 'the cohort is not a valid JSON array of subject ids', [err.problem])
        : err;
    if (!started) throw problem;
    res.end(`${JSON.stringify({ error: trailerError(problem) })}\n`);
  }
}

/** The trailer's error: the problem the same error gets as an ordinary answer, told to discard the lines. */
function trailerError(err: unknown): ProblemDocument {
  if (err instanceof DomainError) return problemOf(err)!;
  return isUnavailable(err)
    ? problemDocument('unavailable', 'the projection store became unavailable; discard the answers and retry')
    : problemDocument('internal', 'an internal error occurred; discard the answers and retry');
}
