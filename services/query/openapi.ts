// The query API's OpenAPI 3.1 document, generated from the zod schemas that validate its requests.
import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { AUTHENTICATED, JSON_BODY, errors, serviceDocument } from '../../adapters/http/openapiParts.js';
import { SubjectConsent, SubjectTimeline } from '../../contracts/subjectViews.js';
import { FhirBundle } from './fhir.js';
import { SubjectIdSchema, UtcTimestampSchema } from '../../contracts/consent/primitives.js';
import { DataUserIdSchema } from '../../contracts/consent/primitives.js';
import {
  ApproveDataUser,
  DataUserResponse,
  DecisionRequest,
  DecisionResponse,
  FilterLine,
  FilterQuery,
  FilterTrailer,
  MAX_RELEASE_SUBJECTS,
  RecordRelease,
  ReleaseSummary,
  ReleasesQuery,
  RegisterDataUser,
} from './schemas.js';
import { CHUNK, MAX_COHORT } from './cohortFilter.js';
import { revocationPaths } from './revocationOpenApi.js';
import { transparencyPaths } from './transparencyOpenApi.js';

const subjectPath = { path: z.object({ id: SubjectIdSchema }) };
const dataUserPath = { path: z.object({ id: DataUserIdSchema }) };
const Ledgered = z.object({
  dataUserId: z.string(),
  eventId: z.string(),
  ledger: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
  replayed: z.boolean(),
});
const ok = (description: string, schema: z.ZodType, type = 'application/json') => ({
  description,
  content: { [type]: { schema } },
});

const FRESHNESS =
  'Freshness: before answering, the service reads the ledger high-water mark of the partitions ' +
  'involved and waits until the projection has applied everything below it; a decision asked after the ' +
  'ingest receipt of a withdrawal was returned therefore never permits on the strength of the ' +
  'withdrawn consent. If the projection does not catch up within QUERY_FRESHNESS_MS (default 2 s) the ' +
  'answer is 503 with Retry-After, never a possibly stale answer.';

let cached: object | undefined;
export function queryOpenApi(): object {
  cached ??= createDocument(
    serviceDocument({
      title: 'consent-ledger query and decision API',
      port: 8081,
      tags: [
        {
          name: 'subjects',
          description:
            "A subject's consent, timeline, FHIR export and the person's own view (hospital, admin, auditor)",
        },
        { name: 'decisions', description: 'Decisions and cohort filters for data users' },
        { name: 'data users', description: 'The data-user registry and approvals' },
        { name: 'releases', description: "Releases of subjects' data to data users" },
        { name: 'revocations', description: 'Revocation notices for data users: pull, webhook, acknowledgement' },
        { name: 'withdrawals', description: 'Propagation status of a withdrawal' },
      ],
      description:
        `Consent state, decisions for data users, the data-user registry and release records.\n\nRoles: data ` +
        `users (their credential's principal is their du_ id) ask decisions, as themselves only, and list ` +
        `their own releases; admins and auditors read any subject's consent, timeline, FHIR export and ` +
        `person's view, a hospital only those of subjects it recorded events for or looks up by NHS number ` +
        `(every such read is logged and shown to the person); admins register data users and grant approvals; hospitals and admins record ` +
        `releases.\n\n${FRESHNESS}\n\nEvery answered decision is first written (acks=all) to the decision ` +
        `log topic (consent.decisions.v1): who asked, about whom, for what, the answer and the ledger event ` +
        `ids it rests on; a cohort filter writes one record with counts and a sha256 of the cohort. If the ` +
        `log write fails the answer is 503.`,
      paths: {
        ...revocationPaths,
        ...transparencyPaths,
        '/v1/subjects/{id}/consent': {
          get: {
            summary: "A subject's consent state, now or as of a past instant",
            operationId: 'subjectConsent',
            tags: ['subjects'],
            description:
              'Roles: hospital (subjects it recorded), admin, auditor; the read is logged. ' +
              '`asOf`: the same fold over the events recorded (ledger time) up to ' +
              'then. 404 when the ledger holds nothing for the subject.',
            requestParams: { ...subjectPath, query: z.object({ asOf: UtcTimestampSchema.optional() }) },
            responses: {
              '200': ok('The consent choices and releases', SubjectConsent),
              ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
            },
          },
        },
        '/v1/subjects/{id}/timeline': {
          get: {
            summary: 'Every ledger event of a subject, in fold order',
            operationId: 'subjectTimeline',
            tags: ['subjects'],
            description: 'Roles: hospital (subjects it recorded), admin, auditor; the read is logged.',
            requestParams: subjectPath,
            responses: {
              '200': ok('The events with their ledger positions', SubjectTimeline),
              ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
            },
          },
        },
        '/v1/subjects/{id}/fhir': {
          get: {
            summary: "The subject's consents and opt-outs as HL7 FHIR R4 Consent resources (a collection Bundle)",
            operationId: 'subjectFhir',
            tags: ['subjects'],
            description:
              'Roles: hospital (subjects it recorded), admin, auditor; the read is logged. Consent facts → Consent (scope research, permit provision, nested ' +
              'deny provisions for withdrawals); opt-outs → Consent (scope patient-privacy, deny).',
            requestParams: subjectPath,
            responses: {
              '200': ok('FHIR R4 Bundle', FhirBundle, 'application/fhir+json'),
              ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
            },
          },
        },
        '/v1/decisions': {
          post: {
            summary: "May I (the calling data user) use this subject's data for this purpose and data category?",
            operationId: 'decide',
            tags: ['decisions'],
            description: `Role: dataUser, as itself. A subject with no events gets the deployment's default model. ${FRESHNESS}`,
            requestBody: { required: true, content: { 'application/json': { schema: DecisionRequest } } },
            responses: {
              '200': ok('The decision with its reasons and the ledger event ids it rests on', DecisionResponse),
              ...errors(...JSON_BODY, 'not-found', ...AUTHENTICATED),
            },
          },
        },
        '/v1/decisions:filter': {
          post: {
            summary: 'Filter a cohort before a data release',
            operationId: 'decideCohort',
            tags: ['decisions'],
            description:
              `Role: dataUser, as itself. Body: a JSON array of subject ids (at most ${MAX_COHORT}), read as a ` +
              `stream. Answer: NDJSON, one FilterLine per subject in the order sent (answered in chunks of up to ` +
              `${CHUNK} ids), then one FilterTrailer line. Only a trailer with summary.logged=true means the ` +
              `answers are valid; an error found after the first line was written arrives as a trailer with error ` +
              `(discard every line). One decision-log record per call.`,
            requestParams: { query: FilterQuery },
            requestBody: {
              required: true,
              content: { 'application/json': { schema: z.array(SubjectIdSchema).max(MAX_COHORT) } },
            },
            responses: {
              '200': ok(
                'NDJSON: FilterLine… then FilterTrailer',
                z.union([FilterLine, FilterTrailer]),
                'application/x-ndjson',
              ),
              ...errors(...JSON_BODY, 'not-found', ...AUTHENTICATED),
            },
          },
        },
        '/v1/data-users': {
          post: {
            summary: 'Register a data user (recorded on the ledger as dataUser.registered)',
            operationId: 'registerDataUser',
            tags: ['data users'],
            description:
              'Role: admin. Event id <dataUserId>.registered.<requestId|initial>: a retry records nothing new; a correction needs a new requestId.',
            requestBody: { required: true, content: { 'application/json': { schema: RegisterDataUser } } },
            responses: {
              '202': ok('Recorded on the ledger', Ledgered),
              ...errors(...JSON_BODY, 'conflict', ...AUTHENTICATED),
            },
          },
          get: {
            summary: 'All registered data users',
            operationId: 'listDataUsers',
            tags: ['data users'],
            description: 'Roles: admin, auditor.',
            responses: {
              '200': ok('The registry', z.object({ dataUsers: z.array(DataUserResponse) })),
              ...errors(...AUTHENTICATED),
            },
          },
        },
        '/v1/data-users/{id}': {
          get: {
            summary: "One data user's registration and approvals",
            operationId: 'getDataUser',
            tags: ['data users'],
            description: 'Roles: admin, auditor, the data user itself.',
            requestParams: dataUserPath,
            responses: {
              '200': ok('The data user', DataUserResponse),
              ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
            },
          },
        },
        '/v1/data-users/{id}/approvals': {
          post: {
            summary: 'Grant approvals for purposes (recorded as dataUser.approved)',
            operationId: 'approveDataUser',
            tags: ['data users'],
            description:
              'Role: admin. Each approval names the purpose, the approval reference (e.g. a data access committee ' +
              'or algorithmic impact assessment id) and its expiry.',
            requestParams: dataUserPath,
            requestBody: { required: true, content: { 'application/json': { schema: ApproveDataUser } } },
            responses: {
              '202': ok('Recorded on the ledger', Ledgered),
              ...errors(...JSON_BODY, 'not-found', 'conflict', ...AUTHENTICATED),
            },
          },
        },
        '/v1/releases': {
          post: {
            summary: "Record a release of subjects' data to a data user",
            operationId: 'recordRelease',
            tags: ['releases'],
            description:
              `Roles: hospital (source = its organisation), admin (source sys:registry). One release.recorded per ` +
              `subject (id <releaseId>.<subject>), at most ${MAX_RELEASE_SUBJECTS} subjects per call; a retry ` +
              `records nothing new.`,
            requestBody: { required: true, content: { 'application/json': { schema: RecordRelease } } },
            responses: {
              '202': ok(
                'Recorded',
                z.object({ releaseId: z.string(), recorded: z.number().int(), replayed: z.number().int() }),
              ),
              ...errors(...JSON_BODY, 'unprocessable', 'conflict', ...AUTHENTICATED),
            },
          },
          get: {
            summary: 'Releases: a data user sees its own, a hospital those it recorded, admin and auditor all',
            operationId: 'listReleases',
            description: 'Roles: dataUser (its own), hospital (those it recorded), admin and auditor (all).',
            tags: ['releases'],
            requestParams: { query: ReleasesQuery },
            responses: {
              '200': ok('Release summaries', z.object({ releases: z.array(ReleaseSummary) })),
              ...errors('invalid-request', ...AUTHENTICATED),
            },
          },
        },
      },
    }),
  );
  return cached;
}
