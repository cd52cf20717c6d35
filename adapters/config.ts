// Configuration: read once at start in a service's main.ts, validated, and a bad or missing variable
// named in the error. Each service composes the sections it needs.
import { z } from 'zod';
import { TOPICS } from '../contracts/topics.js';
import { DEFAULT_POLICY, PolicySetSchema, policySet, type PolicySet } from '../contracts/consent/policy.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(1)).min(1));

export const kafkaConfig = z.object({
  KAFKA_BROKERS: list.describe('comma-separated host:port list'),
  KAFKA_CLIENT_ID: z.string().default('consent-ledger'),
});

/** Topic names: production keeps the defaults; tests give each file its own topics so that nothing
 *  they run (projector, dispatcher, sealer) sees another test's events. */
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name');
export const topicsConfig = z.object({
  LEDGER_TOPIC: topicName.default(TOPICS.ledger),
  REVOCATIONS_TOPIC: topicName.default(TOPICS.revocations),
  DECISIONS_TOPIC: topicName.default(TOPICS.decisions),
  CHECKPOINTS_TOPIC: topicName.default(TOPICS.checkpoints),
  DEADLETTER_TOPIC: topicName.default(TOPICS.deadLetter),
});

export const temporalConfig = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** The consent lifecycle (cooling-off, reconfirmation, expiry). */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('consent-ledger'),
  /** Withdrawal propagation, on its own queue and worker slots so it never waits behind the lifecycle. */
  TEMPORAL_PROPAGATION_TASK_QUEUE: z.string().min(1).default('consent-propagation'),
});

/** Derives every data user's webhook secret (revocations/webhooks.ts): the query service registers
 *  webhooks with it and the worker signs deliveries with it, so both read the same variable. */
export const webhookSigningConfig = z.object({
  WEBHOOK_SIGNING_KEY: z.string().regex(/^[A-Za-z0-9+/=_-]{43,}$/, 'must be at least 32 random bytes, base64'),
});

export const mongoConfig = z.object({
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// URL'),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('consent_ledger'),
});

export const runtimeConfig = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
});

/** Validate `env` against `schema`; every problem names its variable. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  // Never echo a value: a variable may hold a secret.
  throw new ConfigError(
    result.error.issues.map(
      (i) =>
        `${i.path.join('.') || '(environment)'}: ${i.code === 'invalid_type' && i.input === undefined ? 'is required but not set' : i.message}`,
    ),
  );
}

/**
 * The consent policies (cooling-off, reconfirmation and its reminders, re-consent lead, propagation
 * SLA, default model). CONSENT_POLICIES holds a JSON array of EVERY policy version the deployment ever
 * applied, oldest first; the last is applied to new consents. The list only grows: a version once used
 * is never edited (add a new one). Unset → DEFAULT_POLICY alone. A consent's lifecycle runs on the
 * version recorded on it, so every service that decides, accepts consents or runs workflows reads
 * the same set the same way.
 */
export const policyConfig = z.object({
  CONSENT_POLICIES: z
    .string()
    .optional()
    .transform((s, ctx): PolicySet => {
      if (s === undefined || s.trim() === '') return policySet([DEFAULT_POLICY]);
      let json: unknown;
      try {
        json = JSON.parse(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON (an array of policy versions, oldest first)' });
        return z.NEVER;
      }
      const r = PolicySetSchema.safeParse(json);
      if (r.success) return policySet(r.data);
      for (const i of r.error.issues)
        ctx.addIssue({ code: 'custom', message: `${i.path.join('.') || '(policies)'}: ${i.message}` });
      return z.NEVER;
    }),
  CONSENT_POLICY: z
    .undefined({ error: 'replaced by CONSENT_POLICIES (a JSON array of every policy version applied)' })
    .optional(),
});
