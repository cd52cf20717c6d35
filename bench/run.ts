// make bench: every benchmark, or those named on the command line (e.g. `make bench ONLY=ingest`).
import { ingestBench } from './ingest.js';
import { auditBench } from './audit.js';
import { decisionsBench, filterBench } from './decisions.js';
import { workflowsBench } from './workflows.js';
import { projectorBench } from './projector.js';

const BENCHES: Record<string, () => Promise<void>> = {
  ingest: ingestBench,
  audit: auditBench,
  decisions: decisionsBench,
  filter: filterBench,
  workflows: workflowsBench,
  projector: projectorBench,
};
const wanted = process.argv.slice(2).filter((a) => a !== '--');
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  console.log(`running benchmark: ${name}`);
  await bench();
}
process.exit(0);
