// The auditor's CLI: npm run audit -- <verify|replay|state|withdrawals|report> …
// Exit codes: 0 verified / no difference, 1 a problem was found, 2 bad usage or configuration,
// 3 a server (Kafka, MongoDB) was unavailable — an audit never guesses.
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import {
  loadConfig,
  kafkaConfig,
  mongoConfig,
  policyConfig,
  topicsConfig,
  ConfigError,
} from '../../adapters/config.js';
import { createKafka } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import type { Fact } from '../../contracts/consent/fold.js';
import { UtcTimestampSchema } from '../../contracts/consent/primitives.js';
import { projectionReader } from '../../projections/reader.js';
import { loadTrustedKey } from './trust.js';
import { verifyLedger, type VerifyReport } from './verify.js';
import { replayLedger } from './replay.js';
import { publicStateAsOf } from './responses.js';
import { subjectAsOf, summariseLedger } from './summary.js';
import { buildReport, writeReport } from './report.js';
import { ensureBoundedHeap } from './heap.js';

ensureBoundedHeap();

class UsageError extends Error {}
const env = () =>
  loadConfig(
    kafkaConfig
      .extend(topicsConfig.shape)
      .extend(policyConfig.shape)
      .extend({ AUDIT_PUBLIC_KEY: z.string().optional() }),
  );
const kafkaFor = (c: { KAFKA_BROKERS: string[]; KAFKA_CLIENT_ID: string }) =>
  createKafka({ brokers: c.KAFKA_BROKERS, clientId: `${c.KAFKA_CLIENT_ID}-audit`, retries: 3 });
const instant = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const r = UtcTimestampSchema.safeParse(v);
  if (!r.success) throw new UsageError(`${name}: expected a UTC instant such as 2026-03-01T12:00:00Z`);
  return r.data;
};

/** A progress bar on stderr for long runs (only on a terminal, or with --progress). */
function progressBar(enabled: boolean) {
  if (!enabled) return {};
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: ' {bar} {percentage}% | {value}/{total} records | {eta_formatted} left' },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onTotal: (n: number) => {
      if (started) bar.setTotal(n);
      else {
        bar.start(n, 0);
        started = true;
      }
    },
    progress: (n: number) => bar.update(n),
    stop: () => {
      if (started) bar.stop();
    },
  };
}

const print = (json: boolean, value: unknown, human: () => string) => {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
};

export function describeVerify(r: VerifyReport): string {
  const t = r.totals;
  const lines = [
    `${r.ok ? 'VERIFIED' : 'PROBLEM FOUND'}: ${t.records} records on ${r.ledgerTopic}, ` +
      `${t.sealedRecords} sealed by ${t.checkpoints} checkpoints, ${t.unsealed} not yet sealed, ` +
      `${t.duplicates} physical duplicates`,
  ];
  for (const p of r.problems) lines.push(`  partition ${p.partition} offset ${p.offset}: ${p.kind} — ${p.detail}`);
  return lines.join('\n');
}

/** What the state line of a fact adds: a consent's status, an opt-out's revocation or national reach. */
function factNote(f: Fact): string {
  if (f.kind === 'consent') return ` status ${f.status}`;
  if (f.kind === 'opt-out') return f.revoked ? ' (revoked)' : f.national ? ' (national)' : '';
  return '';
}

const program = new Command('audit')
  .description('Verify, replay and report on the consent ledger (read-only).')
  .addOption(new Option('--json', 'print JSON instead of text'))
  .addOption(new Option('--progress', 'show a progress bar even when stderr is not a terminal'))
  .exitOverride();
const globals = () => program.opts<{ json?: boolean; progress?: boolean }>();

program
  .command('verify')
  .description('recompute every checkpoint; name the first bad partition/offset')
  .option('--public-key <file>', 'the sealer public key you trust (PEM); default AUDIT_PUBLIC_KEY')
  .option('--sealed-topic <name>', 'the topic name the checkpoints must name (when verifying a copy)')
  .action(async (o: { publicKey?: string; sealedTopic?: string }) => {
    const c = env();
    const bar = progressBar(globals().progress ?? process.stderr.isTTY);
    const report = await verifyLedger(kafkaFor(c), {
      ledgerTopic: c.LEDGER_TOPIC,
      checkpointsTopic: c.CHECKPOINTS_TOPIC,
      trustedKey: loadTrustedKey(o.publicKey, c.AUDIT_PUBLIC_KEY),
      ...(o.sealedTopic ? { sealedTopic: o.sealedTopic } : {}),
      ...bar,
    }).finally(() => bar.stop?.());
    print(globals().json ?? false, report, () => describeVerify(report));
    process.exitCode = report.ok ? 0 : 1;
  });

program
  .command('replay')
  .description('rebuild every subject with the shared fold and compare with the live projection')
  .option('--max-events-in-memory <n>', 'fold a partition in several passes above this many records', '200000')
  .option('--deep', 'compare every stored state, not the fingerprints the projector stored (slower)')
  .action(async (o: { maxEventsInMemory: string; deep?: boolean }) => {
    const c = loadConfig(kafkaConfig.extend(topicsConfig.shape).extend(mongoConfig.shape));
    const mongo = await connectMongo({ url: c.MONGO_URL, db: c.MONGO_DB });
    const bar = progressBar(globals().progress ?? process.stderr.isTTY);
    try {
      const report = await replayLedger(kafkaFor(c), projectionReader(mongo.db), {
        ledgerTopic: c.LEDGER_TOPIC,
        maxEventsInMemory: Number(o.maxEventsInMemory),
        deep: o.deep ?? false,
        ...bar,
      }).finally(() => bar.stop?.());
      print(globals().json ?? false, report, () =>
        [
          `${report.ok ? 'MATCHES' : 'DIFFERS'}: ${report.subjects} subjects from ${report.records} events ` +
            `(${report.poison} poison) compared with the projection; ${report.differenceCount} difference(s)`,
          ...report.differences.map(
            (d) => `  ${d.kind} partition ${d.partition}${d.subject ? ` subject ${d.subject}` : ''}: ${d.detail}`,
          ),
        ].join('\n'),
      );
      process.exitCode = report.ok ? 0 : 1;
    } finally {
      await mongo.close();
    }
  });

program
  .command('state <subject>')
  .description('what the system knew about a subject at an instant, with the events it rests on')
  .option('--as-of <instant>', 'UTC instant (default: now)')
  .action(async (subject: string, o: { asOf?: string }) => {
    const c = env();
    const asOf = instant('--as-of', o.asOf) ?? new Date().toISOString();
    const report = await subjectAsOf(kafkaFor(c), { ledgerTopic: c.LEDGER_TOPIC, subject, asOf });
    // --json prints the same public model as GET /v1/audit/subjects/{id}/state (not the fold's internals).
    print(globals().json ?? false, publicStateAsOf(report), () =>
      [
        `${subject} as of ${asOf}: ${report.state.facts.length} fact(s) from ${report.events.length} event(s)`,
        ...report.state.facts.map((f) => `  ${f.kind} ${f.eventId} occurred ${f.occurredAt}${factNote(f)}`),
        'events:',
        ...report.events.map(
          (e) => `  ${e.recordedAt} ${e.type} ${e.id} (partition ${e.partition} offset ${e.offset})`,
        ),
      ].join('\n'),
    );
  });

program
  .command('withdrawals')
  .description('every withdrawal and its holders: propagating / overdue / completed; every release after refusal')
  .option('--since <instant>', 'only withdrawals recorded at or after this UTC instant')
  .action(async (o: { since?: string }) => {
    const c = env();
    const since = instant('--since', o.since);
    const bar = progressBar(globals().progress ?? process.stderr.isTTY);
    const s = await summariseLedger(kafkaFor(c), {
      ledgerTopic: c.LEDGER_TOPIC,
      policies: c.CONSENT_POLICIES,
      ...(since ? { since } : {}),
      now: new Date().toISOString(),
      ...bar,
    }).finally(() => bar.stop?.());
    const late = s.releasesAfterRefusal;
    print(globals().json ?? false, { withdrawals: s.withdrawals, releasesAfterRefusal: late }, () =>
      [
        `${s.withdrawals.length} withdrawal(s)${since ? ` since ${since}` : ''}`,
        ...s.withdrawals.map(
          (w) =>
            `  ${w.withdrawalId} ${w.subject} ${w.status}: ${w.holders.map((h) => `${h.dataUserId}=${h.status}`).join(', ') || 'no holder notified'}`,
        ),
        `${late.length} release(s) after refusal`,
        ...late.map(
          (v) =>
            `  ${v.releaseEventId} ${v.subject} released by ${v.releasedBy} to ${v.dataUserId} after ${v.refusalKind} ${v.refusalId}: notice ${v.notice}`,
        ),
      ].join('\n'),
    );
    // Non-zero when the duty is not met: a holder overdue, or a release after refusal (a violation to follow up).
    process.exitCode = s.withdrawals.some((w) => w.status === 'overdue') || late.length > 0 ? 1 : 0;
  });

program
  .command('report')
  .description('self-contained HTML (and JSON) report')
  .option('--public-key <file>', 'the sealer public key you trust (PEM); default AUDIT_PUBLIC_KEY')
  .option('--sealed-topic <name>', 'the topic name the checkpoints must name')
  .option('--out <dir>', 'directory for report.html and report.json', 'audit-report')
  .action(async (o: { publicKey?: string; sealedTopic?: string; out: string }) => {
    const c = env();
    const bar = progressBar(globals().progress ?? process.stderr.isTTY);
    const report = await buildReport(kafkaFor(c), {
      ledgerTopic: c.LEDGER_TOPIC,
      checkpointsTopic: c.CHECKPOINTS_TOPIC,
      trustedKey: loadTrustedKey(o.publicKey, c.AUDIT_PUBLIC_KEY),
      policies: c.CONSENT_POLICIES,
      ...(o.sealedTopic ? { sealedTopic: o.sealedTopic } : {}),
      ...bar,
    }).finally(() => bar.stop?.());
    const files = writeReport(report, o.out);
    print(
      globals().json ?? false,
      files,
      () => `${describeVerify(report.verification)}\nreport: ${files.html}\n        ${files.json}`,
    );
    process.exitCode = report.verification.ok ? 0 : 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as Error & { code?: string; exitCode?: number };
  if (e.code?.startsWith('commander.'))
    process.exit(e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2);
  if (err instanceof ConfigError || err instanceof UsageError || /trusted|public key|Ed25519/.test(e.message)) {
    console.error(e.message);
    process.exit(2);
  }
  console.error(`unavailable: ${e.message}`);
  process.exit(3);
}
process.exit(process.exitCode ?? 0);
