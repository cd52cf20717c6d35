// `rebuild` command: node --import tsx services/projector/rebuildCli.ts [--keep-previous] [--quiet]
// Replays the ledger into a fresh generation of projections and switches over (rebuild.ts), with a
// progress bar on stderr; prints a JSON summary on stdout.
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { loadConfig, kafkaConfig, mongoConfig, runtimeConfig, topicsConfig } from '../../adapters/config.js';
import { createLogger } from '../../adapters/logger.js';
import { createKafka } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import { rebuild } from './rebuild.js';

const cli = new Command('rebuild')
  .description('Replay the ledger from offset 0 into fresh projection collections and switch over when caught up')
  .option('--keep-previous', 'keep the replaced generation of collections (default: drop it)', false)
  .option('--quiet', 'no progress bar', false)
  .parse();
const opts = cli.opts<{ keepPrevious: boolean; quiet: boolean }>();

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend({
      PROJECTOR_GROUP_ID: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a Kafka group id')
        .default('consent-projector'),
    }),
);
const log = createLogger('projector-rebuild', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-rebuild` }, log);
const mongo = await connectMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
const bar = opts.quiet
  ? undefined
  : new cliProgress.SingleBar(
      {
        format: 'rebuild |{bar}| {percentage}% {value}/{total} records | {speed} rec/s | eta {eta_formatted}',
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
const started = performance.now();
let barStarted = false;
try {
  const result = await rebuild({
    kafka,
    db: mongo.db,
    log,
    topic: config.LEDGER_TOPIC,
    deadLetterTopic: config.DEADLETTER_TOPIC,
    groupId: config.PROJECTOR_GROUP_ID,
    keepPrevious: opts.keepPrevious,
    progress: (done, total) => {
      const speed = Math.round(done / Math.max(0.001, (performance.now() - started) / 1000));
      if (!barStarted) {
        bar?.start(total, done, { speed });
        barStarted = true;
      }
      bar?.setTotal(total);
      bar?.update(done, { speed });
    },
  });
  bar?.stop();
  process.stdout.write(
    `${JSON.stringify({ ...result, eventsPerSecond: Math.round(result.records / Math.max(result.seconds, 0.001)) })}\n`,
  );
  await mongo.close();
  process.exit(0);
} catch (err) {
  bar?.stop();
  log.error({ err: (err as Error).message }, 'rebuild failed; the active projection is unchanged');
  await mongo.close().catch(() => undefined);
  process.exit(1);
}
