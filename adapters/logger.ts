// Structured JSON logs (pino). Personal data never goes in a log; as a second line of defence the
// fields that could carry an identifier are redacted wherever they appear.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = ['nhsNumber', '*.nhsNumber', '*.*.nhsNumber', 'req.headers.authorization',
  'req.headers["x-api-key"]', 'apiKey', '*.apiKey', 'secret', '*.secret'];

export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
