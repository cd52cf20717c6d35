// The worker's workflow bundle (webpack, about 4 CPU-seconds), kept on disk between starts when a cache
// folder is configured: a warm `make up` then loads it instead of rebuilding. The key is a hash of every
// file the bundle can contain (workflows/, contracts/, the locked npm dependencies) and of the plugins'
// names, so any change to workflow code rebuilds it; a stale bundle would replay histories with other code.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from '@temporalio/worker';

const KEYED_FOLDERS = ['workflows', 'contracts'];

async function sourceFiles(root: string, folder: string): Promise<string[]> {
  const entries = await readdir(join(root, folder), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** sha256 over the bundle's possible inputs: paths and contents, the lock file, the plugin names. */
export async function workflowBundleKey(projectRoot: string, pluginNames: string[]): Promise<string> {
  const hash = createHash('sha256');
  const files = (await Promise.all(KEYED_FOLDERS.map((f) => sourceFiles(projectRoot, f)))).flat();
  for (const file of [...files, join(projectRoot, 'package-lock.json')]) {
    hash
      .update(file.slice(projectRoot.length))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.update(pluginNames.join(',')).digest('hex');
}

export interface CachedBundleOptions {
  projectRoot: string;
  /** Folder for bundles kept between starts; undefined bundles in memory each time (containers). */
  cacheDir: string | undefined;
  bundle: BundleOptions;
}

export async function cachedWorkflowBundle(opts: CachedBundleOptions): Promise<WorkflowBundle> {
  if (!opts.cacheDir) return bundleWorkflowCode(opts.bundle);
  const names = (opts.bundle.plugins ?? []).map((p) => p.name);
  const file = join(opts.cacheDir, `${await workflowBundleKey(opts.projectRoot, names)}.js`);
  const cached = await readFile(file, 'utf8').catch(() => undefined);
  if (cached !== undefined) return { code: cached };
  const built = await bundleWorkflowCode(opts.bundle);
  await mkdir(opts.cacheDir, { recursive: true });
  // Written aside and renamed: a worker started meanwhile never reads half a bundle.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, built.code);
  await rename(tmp, file);
  return built;
}
