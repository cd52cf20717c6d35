// Kafka's own performance tools from the broker's jars: the baseline for what a raw client achieves.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';

const run = promisify(execFile);
const libs = () => {
  const l = process.env.KAFKA_LIBS;
  if (!l) throw new Error('KAFKA_LIBS not set (run via make bench)');
  return join(l, '*');
};

/** org.apache.kafka.tools.ProducerPerformance with acks=all and idempotence: records/s. */
export async function producerPerformance(opts: {
  brokers: string;
  topic: string;
  records: number;
  recordSize: number;
}): Promise<number> {
  const { stdout } = await run(
    'java',
    [
      '-Xmx512m',
      '-cp',
      libs(),
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      opts.topic,
      '--num-records',
      String(opts.records),
      '--record-size',
      String(opts.recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${opts.brokers}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { maxBuffer: 16 << 20 },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  const m = /([\d.]+) records\/sec/.exec(last);
  if (!m) throw new Error(`unexpected ProducerPerformance output: ${last}`);
  return Number(m[1]);
}

/** org.apache.kafka.tools.ConsumerPerformance over a topic from the start: records/s. */
export async function consumerPerformance(opts: { brokers: string; topic: string; messages: number }): Promise<number> {
  const { stdout } = await run(
    'java',
    [
      '-Xmx512m',
      '-cp',
      libs(),
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      opts.brokers,
      '--topic',
      opts.topic,
      '--messages',
      String(opts.messages),
      '--timeout',
      '60000',
      '--hide-header',
    ],
    { maxBuffer: 16 << 20 },
  );
  // CSV: start, end, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
  const cols = stdout
    .trim()
    .split('\n')
    .pop()!
    .split(',')
    .map((c) => c.trim());
  return Number(cols[5]);
}
