import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowBundleKey } from './workflowBundle.js';

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'bundle-key-'));
  mkdirSync(join(root, 'workflows/activities'), { recursive: true });
  mkdirSync(join(root, 'contracts/consent'), { recursive: true });
  writeFileSync(join(root, 'workflows/index.ts'), 'export * from "./coolingOff.js";');
  writeFileSync(join(root, 'workflows/activities/ledger.ts'), 'export const a = 1;');
  writeFileSync(join(root, 'contracts/consent/fold.ts'), 'export const fold = 1;');
  writeFileSync(join(root, 'package-lock.json'), '{}');
  return root;
}

describe('workflowBundleKey', () => {
  it('is the same for the same sources and plugins, wherever the checkout is', async () => {
    const root = project();
    expect(await workflowBundleKey(root, ['tracing'])).toBe(await workflowBundleKey(root, ['tracing']));
    expect(await workflowBundleKey(project(), ['tracing'])).toBe(await workflowBundleKey(root, ['tracing']));
  });

  it('changes when any workflow or contract file, the lock file or the plugins change', async () => {
    const root = project();
    const before = await workflowBundleKey(root, ['tracing']);
    expect(await workflowBundleKey(root, [])).not.toBe(before);
    for (const file of ['workflows/activities/ledger.ts', 'contracts/consent/fold.ts', 'package-lock.json']) {
      const other = project();
      writeFileSync(join(other, file), '// edited');
      expect(await workflowBundleKey(other, ['tracing'])).not.toBe(before);
    }
    const added = project();
    writeFileSync(join(added, 'contracts/consent/new.ts'), 'export const b = 2;');
    expect(await workflowBundleKey(added, ['tracing'])).not.toBe(before);
  });

  it('ignores files that are not TypeScript sources', async () => {
    const root = project();
    const before = await workflowBundleKey(root, []);
    writeFileSync(join(root, 'workflows/notes.md'), 'why');
    expect(await workflowBundleKey(root, [])).toBe(before);
  });
});
