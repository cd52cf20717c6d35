// The committed client types are exactly what the generator makes from the OpenAPI documents as the
// services build them now: an API change without `npm run client:generate` fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedFile, generatedSources, type ServiceName } from './generate.js';

describe('client/generated', () => {
  it('equals a fresh generation from services/*/openapi.ts', { timeout: 60_000 }, async () => {
    const fresh = await generatedSources();
    expect(Object.keys(fresh).sort()).toEqual(['audit', 'ingest', 'query']);
    for (const [name, text] of Object.entries(fresh)) {
      const committed = readFileSync(generatedFile(name as ServiceName), 'utf8');
      expect(committed, `client/generated/${name}.ts is stale: run npm run client:generate`).toBe(text);
    }
  });
});
