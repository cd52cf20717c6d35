// OpenAPI 3.1 paths of the person's view, the NHS-number lookup and the person's page, merged into the
// query API's document.
import * as z from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { AUTHENTICATED, JSON_BODY, errors } from '../../adapters/http/openapiParts.js';
import { SubjectIdSchema } from '../../contracts/consent/primitives.js';
import { SubjectTransparency } from '../../contracts/transparency.js';
import { LookupRequest, LookupResponse } from './lookupRoutes.js';
import { ReadReasonSchema } from './subjectAccess.js';
import { LinkRequest, LinkResponse } from './transparencyRoutes.js';

const ok = (description: string, schema: z.ZodType, type = 'application/json') => ({
  description,
  content: { [type]: { schema } },
});
const reasonHeader = z.object({ 'x-read-reason': ReadReasonSchema.optional() });
const subjectParams = { path: z.object({ id: SubjectIdSchema }), header: reasonHeader };
const READ_RULE =
  'Roles: hospital (only subjects it has itself recorded events for; any other subject is a 404), admin, auditor. ' +
  'The read is logged (who, when, what, the X-Read-Reason given) and shown in the person’s view.';
const page = (description: string) => ok(description, z.string(), 'text/html');

export const transparencyPaths: ZodOpenApiPathsObject = {
  '/v1/subjects:lookup': {
    post: {
      summary: 'Find a person by NHS number (in the body, never in a URL): the pseudonym and the consent summary',
      operationId: 'lookupSubject',
      tags: ['subjects'],
      description:
        'Roles: hospital, admin, auditor. How a hospital reads a person it has not recorded events for: it shows it ' +
        'knows the person. The NHS number is pseudonymised at once and never stored or logged; the read is logged.',
      requestBody: { required: true, content: { 'application/json': { schema: LookupRequest } } },
      responses: {
        '200': ok('The pseudonym and the consent summary', LookupResponse),
        ...errors(...JSON_BODY, 'not-found', ...AUTHENTICATED),
      },
    },
  },
  '/v1/subjects/{id}/transparency': {
    get: {
      summary: "The person's own view: choices in words, releases, withdrawals per holder, who looked",
      operationId: 'subjectTransparency',
      tags: ['subjects'],
      description: `For organisations acting for the person (e.g. a patient portal). ${READ_RULE}`,
      requestParams: subjectParams,
      responses: {
        '200': ok("The person's view", SubjectTransparency),
        ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
      },
    },
  },
  '/v1/subjects/{id}/transparency-links': {
    post: {
      summary: "Issue a short-lived signed link to the person's own web page",
      operationId: 'issueTransparencyLink',
      tags: ['subjects'],
      description:
        'Roles: hospital (subjects it has recorded events for), admin. The link names only the pseudonym and its ' +
        'expiry, signed with HMAC-SHA256 (TRANSPARENCY_LINK_KEY); nothing is stored. Logged as a read.',
      requestParams: subjectParams,
      requestBody: { required: false, content: { 'application/json': { schema: LinkRequest } } },
      responses: {
        '201': ok('The link and when it stops working', LinkResponse),
        ...errors(...JSON_BODY, 'not-found', ...AUTHENTICATED),
      },
    },
  },
  '/p/{token}': {
    get: {
      summary: "The person's own page (HTML, no JavaScript), through a signed link",
      operationId: 'personPage',
      tags: ['subjects'],
      security: [],
      description: 'No credential: the signed, unexpired link is the proof. Expired: 410; altered: 403.',
      requestParams: {
        path: z.object({
          token: z
            .string()
            .regex(/^sub_[A-Za-z0-9_-]{16,64}\.\d{1,12}\.[A-Za-z0-9_-]{43}$/)
            .meta({ description: '<pseudonym>.<expiry, unix seconds>.<HMAC-SHA256, base64url>' }),
        }),
      },
      responses: {
        '200': page('The page'),
        '403': page('The link is not valid (altered or incomplete)'),
        '404': page('Nothing is recorded for the link'),
        '410': page('The link has expired'),
      },
    },
  },
};
