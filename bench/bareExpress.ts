// Baseline: the HTTP ceiling on this machine — an express app that parses the same JSON body and
// answers 202, doing nothing else.
import express from 'express';

const port = Number(process.env.BARE_PORT ?? 18191);
const app = express();
app.post('/v1/events', express.json({ limit: '64kb' }), (req, res) => {
  res.status(202).json({ eventId: (req.body as { id?: string }).id });
});
// Baseline for the decision benchmark: parse the same request body, answer a fixed decision.
app.post('/v1/decisions', express.json({ limit: '8kb' }), (req, res) => {
  res.json({ decision: 'permit', subject: (req.body as { subject?: string }).subject });
});
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.listen(port, '127.0.0.1');
