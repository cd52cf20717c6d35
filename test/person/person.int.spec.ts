// Issue 16 through the public API of the running query stack: who may read a person's record (a
// hospital that never wrote for the subject reads nothing by pseudonym, finds it by NHS number), every
// read shown in the person's view, and the person's page through a signed link — expired and altered
// links refused, and the page checked with axe-core (WCAG 2.2 AA) in headless Chromium at phone and
// desktop widths, with JavaScript disabled for the rendering and the screenshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runId } from '../serverEnv.js';
import { syntheticNhsNumbers } from '../harness/nhsNumbers.js';
import { approvals, NHS_ACADEMIC_RESEARCH, startQueryStack, type QueryStack } from '../e2e/queryKit.js';
import { SubjectTransparency } from '../../contracts/transparency.js';
import { TransparencyLinks } from '../../services/query/transparencyLink.js';

const run = promisify(execFile);
const PORTS = { query: 18530, projector: 18531, ingest: 18532 };
const LINK_KEY = randomBytes(32);
const SHOTS = process.env.PERSON_SCREENSHOTS_DIR ?? '/work/notes';

describe("the person's view and page", () => {
  let s: QueryStack;
  let subject = '';
  const [nhsNumber] = syntheticNhsNumbers(1, Date.now() + 1616);
  const keys = { a: '', b: '', admin: '' };
  const dataUserId = `du_person${runId}`;
  const get = (path: string, key: string, reason?: string) =>
    fetch(`${s.query.url}${path}`, {
      headers: { authorization: `Bearer ${key}`, ...(reason !== undefined && { 'x-read-reason': reason }) },
    });

  beforeAll(async () => {
    s = await startQueryStack(`person-${runId}`, PORTS, { TRANSPARENCY_LINK_KEY: LINK_KEY.toString('base64') });
    keys.a = await s.key('hospital', 'org:person-a');
    keys.b = await s.key('hospital', 'org:person-b');
    keys.admin = await s.key('admin', 'admin:person');
    const reg = await s.call('/v1/data-users', keys.admin, {
      body: {
        dataUserId,
        name: 'Example University',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    expect(reg.status).toBe(202);
    const given = await fetch(`${s.ingest!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.a}` },
      body: JSON.stringify({
        specversion: '1.0',
        id: `person-${runId}-consent`,
        source: 'org:person-a',
        type: 'consent.given',
        dataversion: 1,
        nhsNumber,
        data: {
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          scope: NHS_ACADEMIC_RESEARCH,
          capture: { channel: 'in-person', setting: 'routine' },
          policyVersion: '2026-01',
        },
      }),
    });
    expect(given.status).toBe(202);
    subject = ((await given.json()) as { subject: string }).subject;
    const rel = await s.call('/v1/releases', keys.a, {
      body: {
        releaseId: `rel-${runId}`,
        dataUserId,
        purpose: 'research',
        dataCategories: ['ehr'],
        subjects: [subject],
      },
    });
    expect(rel.status).toBe(202);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('a hospital that never wrote for the subject reads nothing by pseudonym, and finds it by NHS number', async () => {
    for (const view of ['consent', 'timeline', 'fhir', 'transparency'])
      expect((await get(`/v1/subjects/${subject}/${view}`, keys.b)).status).toBe(404);
    const lookup = await s.call('/v1/subjects:lookup', keys.b, { body: { nhsNumber, reason: 'direct-care' } });
    expect(lookup.status).toBe(200);
    const found = (await lookup.json()) as { subject: string; consent: { choices: unknown[] } };
    expect(found.subject).toBe(subject);
    expect(found.consent.choices).toHaveLength(1);
    // The hospital that recorded the consent reads by pseudonym; a reason outside the list is a 400 naming it.
    expect((await get(`/v1/subjects/${subject}/consent`, keys.a, 'patient-request')).status).toBe(200);
    const bad = await get(`/v1/subjects/${subject}/consent`, keys.a, 'curiosity');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('x-read-reason');
  });

  it("each read appears in the person's view, with the release's data user and approval", async () => {
    const res = await get(`/v1/subjects/${subject}/transparency`, keys.admin, 'audit');
    expect(res.status).toBe(200);
    const view = SubjectTransparency.parse(await res.json());
    const reads = view.reads.map((r) => `${r.reader} ${r.what} ${r.why}`);
    expect(reads).toEqual(
      expect.arrayContaining(['org:person-b lookup direct-care', 'org:person-a consent patient-request']),
    );
    expect(reads).not.toContain('org:person-b consent not-given'); // refused reads are not reads
    expect(view.releases).toEqual([
      expect.objectContaining({
        dataUserName: 'Example University',
        dataUserCategory: 'academic',
        jurisdiction: 'uk',
        approvalReference: expect.any(String),
        purpose: 'research',
      }),
    ]);
    // The admin's own read of the view is the next one the view shows.
    const again = SubjectTransparency.parse(
      await (await get(`/v1/subjects/${subject}/transparency`, keys.admin)).json(),
    );
    expect(again.reads.map((r) => `${r.reader} ${r.what} ${r.why}`)).toContain('admin:person transparency audit');
  });

  it('a signed link opens the page; an altered link is refused (403), an expired one too (410)', async () => {
    expect((await s.call(`/v1/subjects/${subject}/transparency-links`, keys.b, { body: {} })).status).toBe(404);
    const issued = await s.call(`/v1/subjects/${subject}/transparency-links`, keys.a, { body: { ttlMinutes: 10 } });
    expect(issued.status).toBe(201);
    const { url } = (await issued.json()) as { url: string; expiresAt: string };
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/<script|src=|https?:\/\//i);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    expect(html).toContain('Example University');
    const last = url.at(-1) === 'A' ? 'B' : 'A';
    expect((await fetch(url.slice(0, -1) + last)).status).toBe(403);
    const otherSubject = url.replace(subject, `${subject.slice(0, -1)}${subject.at(-1) === 'x' ? 'y' : 'x'}`);
    expect((await fetch(otherSubject)).status).toBe(403);
    const expired = new TransparencyLinks(LINK_KEY).issue(subject, new Date(Date.now() - 1000));
    const old = await fetch(`${s.query.url}/p/${expired}`);
    expect(old.status).toBe(410);
    expect(await old.text()).toContain('This link has expired');
  });

  it(
    'the page: 0 axe-core violations (WCAG 2.2 AA) at 390 and 1280 px, the page runs no JavaScript',
    { timeout: 900_000 },
    async () => {
      const issued = await s.call(`/v1/subjects/${subject}/transparency-links`, keys.a, { body: {} });
      const { url } = (await issued.json()) as { url: string };
      const html = await (await fetch(url)).text();
      const { stdout } = await run('infra/chromium.sh', [], { timeout: 600_000 });
      const bin = stdout.trim().split('\n').pop()!;
      const common = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars'];
      const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      const dir = mkdtempSync(join(tmpdir(), 'person-page-'));
      mkdirSync(SHOTS, { recursive: true });
      for (const width of [390, 1280]) {
        // The served page as the person sees it (and the screenshot). It runs no JavaScript: it has none and its
        // CSP forbids any (asserted above). Chromium's own switch (--blink-settings=scriptEnabled=false) is not
        // used: headless Chromium then dumps and captures nothing.
        const noJs = [...common, `--window-size=${width},2400`];
        const dom = await run(bin, [...noJs, '--dump-dom', url], { timeout: 120_000, maxBuffer: 8 << 20 });
        expect(dom.stdout).toContain('Your health data choices');
        expect(dom.stdout).toContain('Who looked at your record');
        const shot = join(SHOTS, `person-${width}.png`);
        await run(bin, [...noJs, `--screenshot=${shot}`, url], { timeout: 120_000 });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        // axe-core needs script: the same markup in a file with axe appended, run at the same width.
        const checked = html.replace(
          '</body>',
          `<script>${axe}</script><script>axe.run(document,{runOnly:{type:'tag',values:['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']}})` +
            `.then(r=>{const p=document.createElement('pre');p.id='axe-result';` +
            `p.textContent=JSON.stringify(r.violations.map(v=>({id:v.id,nodes:v.nodes.map(n=>n.target)})));` +
            `document.body.appendChild(p)})</script></body>`,
        );
        const file = join(dir, `page-${width}.html`);
        writeFileSync(file, checked);
        const out = await run(
          bin,
          [...common, `--window-size=${width},2400`, '--virtual-time-budget=30000', '--dump-dom', `file://${file}`],
          { timeout: 180_000, maxBuffer: 16 << 20 },
        );
        const m = /<pre id="axe-result">([\s\S]*?)<\/pre>/.exec(out.stdout);
        expect(m, 'axe-core ran and wrote its result').not.toBeNull();
        const violations: unknown[] = JSON.parse(
          m![1]!
            .replace(/&quot;/g, '"')
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&amp;/g, '&'),
        );
        console.log(`person page at ${width} px: ${violations.length} axe-core violations; screenshot ${shot}`);
        expect(violations).toEqual([]);
      }
    },
  );
});
