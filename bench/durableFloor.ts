// Baseline: the floor of a durable answer on this machine. A 202 is only true once Kafka has the event
// with acks=all, and a decision only once its decision-log record is acknowledged; so this is the bare
// express handler plus ONE kafkajs acks=all produce of a record as large as ours (same broker, topics of
// the same partition counts), then the same answer. No auth, validation, batching or projection.
import express from 'express';
import { createKafka, createLogProducer } from '../adapters/kafka.js';
import { structuredModeHeaders } from '../contracts/topics.js';

const port = Number(process.env.FLOOR_PORT ?? 18192);
const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS!.split(','), clientId: 'bench-durable-floor' });
// Not idempotent: sends are independent and may be in flight together, as a naive client's are.
const producer = createLogProducer(kafka);
await producer.connect();

/** One record of `bytes` bytes (a value of that size) to `topic`, keyed like ours, acks=all. */
const produce = (topic: string, bytes: Buffer, key: string | undefined) =>
  producer.send({ topic, acks: -1, messages: [{ key, value: bytes, headers: structuredModeHeaders() }] });

const app = express();
const eventBytes = Number(process.env.FLOOR_EVENT_BYTES ?? 0);
if (eventBytes > 0) {
  const value = Buffer.alloc(eventBytes, 'e');
  app.post('/v1/events', express.json({ limit: '64kb' }), async (req, res) => {
    const body = req.body as { id?: string; subject?: string };
    await produce(process.env.FLOOR_EVENTS_TOPIC!, value, body.subject);
    res.status(202).json({ eventId: body.id });
  });
}
const decisionBytes = Number(process.env.FLOOR_DECISION_BYTES ?? 0);
if (decisionBytes > 0) {
  const value = Buffer.alloc(decisionBytes, 'd');
  app.post('/v1/decisions', express.json({ limit: '8kb' }), async (req, res) => {
    const body = req.body as { subject?: string };
    await produce(process.env.FLOOR_DECISIONS_TOPIC!, value, body.subject);
    res.json({ decision: 'permit', subject: body.subject });
  });
}
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.listen(port, '127.0.0.1');
