// Addresses of the real servers the test stack started (infra/stack.sh test exports them).
import { loadConfig, kafkaConfig, mongoConfig, temporalConfig } from '../adapters/config.js';

export const testEnv = loadConfig(kafkaConfig.extend(mongoConfig.shape).extend(temporalConfig.shape));

/** A prefix unique to this run, so tests never depend on or collide with leftovers. */
export const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
