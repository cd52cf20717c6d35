// The person's view of their record (contracts/transparency.ts):
//   GET  /v1/subjects/{id}/transparency        hospital (subjects it recorded), admin, auditor — e.g. a patient portal
//   POST /v1/subjects/{id}/transparency-links  hospital (subjects it recorded), admin → a short-lived signed link
//   GET  /p/{token}                            the person, through that link: the same view as HTML
import express, { Router, type Response } from 'express';
import * as z from 'zod';
import { requireRole } from '../../access/authenticate.js';
import type { DataUserRecord } from '../../contracts/consent/dataUsers.js';
import type { SubjectState } from '../../contracts/consent/fold.js';
import { dataUsersNamed, subjectTransparency, type SubjectTransparency } from '../../contracts/transparency.js';
import { parseOr400 } from './schemas.js';
import { readableSubject } from './subjectAccess.js';
import { linkRefusedPage, personPage } from './personPage.js';
import type { TransparencyLinks } from './transparencyLink.js';
import type { QueryDeps } from './deps.js';

export interface TransparencyDeps extends QueryDeps {
  links: TransparencyLinks;
  /** The origin the person's links point at (e.g. https://consent.example.nhs.uk); default: the request's. */
  publicUrl?: string | undefined;
}

export const LinkRequest = z
  .strictObject({
    ttlMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60)
      .meta({ description: 'How long the link works (minutes, at most a day); default 60' }),
  })
  .meta({ id: 'TransparencyLinkRequest' });
export const LinkResponse = z
  .object({
    url: z.string().meta({ description: 'The page for the person: /p/<pseudonym>.<expiry>.<signature>' }),
    expiresAt: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'TransparencyLink' });

export async function personView(deps: QueryDeps, state: SubjectState): Promise<SubjectTransparency> {
  const subject = state.subject ?? '';
  const [users, reads] = await Promise.all([
    Promise.all(dataUsersNamed(state).map((id) => deps.fresh.dataUser(id))),
    deps.reads.of(subject),
  ]);
  const dataUsers = new Map<string, DataUserRecord>();
  for (const u of users) if (u) dataUsers.set(u.id, u);
  return subjectTransparency({ state, dataUsers, reads, policies: deps.policies, now: deps.now().toISOString() });
}

const html = (res: Response, status: number, body: string) => {
  // No script may run, nothing is fetched from elsewhere, and the page is never cached or framed.
  res
    .status(status)
    .set({
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    .type('text/html; charset=utf-8')
    .send(body);
};

export function transparencyRoutes(deps: TransparencyDeps): Router {
  const r = Router();
  r.get('/v1/subjects/:id/transparency', async (req, res) => {
    const state = await readableSubject(req, deps, 'transparency');
    res.json(await personView(deps, state));
  });
  r.post('/v1/subjects/:id/transparency-links', requireRole('hospital', 'admin'), express.json(), async (req, res) => {
    const { ttlMinutes } = parseOr400(LinkRequest, req.body ?? {});
    const state = await readableSubject(req, deps, 'transparency-link');
    const expiresAt = new Date(deps.now().getTime() + ttlMinutes * 60_000);
    const origin = deps.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    const token = deps.links.issue(state.subject ?? '', expiresAt);
    res.status(201).json({
      url: `${origin}/p/${token}`,
      expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString(),
    });
  });
  r.get('/p/:token', async (req, res) => {
    const link = deps.links.check(req.params.token, deps.now());
    if (!link.ok) {
      html(res, link.why === 'expired' ? 410 : 403, linkRefusedPage(link.why));
      return;
    }
    const state = await deps.fresh.subject(link.subject);
    if (!state) {
      html(res, 404, linkRefusedPage('unknown'));
      return;
    }
    html(res, 200, personPage(await personView(deps, state)));
  });
  return r;
}
