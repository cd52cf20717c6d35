// Structured JSON logs (pino). Personal data never goes in a log; as a second line of defence the
// fields that could carry an identifier are redacted wherever they appear.
import { pino, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger };

const REDACTED_PATHS = [
  'nhsNumber',
  '*.nhsNumber',
  '*.*.nhsNumber',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
];

export function createLogger(service: string, level = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: activeTraceIds,
    },
    // Asynchronous writes to stdout: lines logged while a write is under way go out together, not one
    // write(2) each per request as pino's default synchronous stdout does (a tenth of ingest's CPU was
    // socket writes under load). pino flushes what is left when the process exits.
    pino.destination({ dest: 1, sync: false }),
  );
}

/** trace_id / span_id of the span active where the line is logged: a log line leads to its trace. */
function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const c = trace.getActiveSpan()?.spanContext();
  return c && trace.isSpanContextValid(c) ? { trace_id: c.traceId, span_id: c.spanId } : {};
}

/** The message of whatever was thrown or rejected, for a log field (an Error's message, else its text). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
