// Starts a real service process (node services/<name>/main.ts, or its bundle) for cross-service tests, on the test
// stack's servers, and stops or kills it. Output goes to the stack's log dir (the privacy scan reads it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningService {
  url: string;
  proc: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const logDir = process.env.LOG_DIR ?? join(process.cwd(), '.state/test/logs');

export async function startService(
  name: string,
  env: Record<string, string>,
  port: number,
  tag = name,
): Promise<RunningService> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `test-${tag}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  // SERVICE_CPU_PROF_DIR (benchmarks): a V8 CPU profile per service, written when it stops (bench/profileSummary.ts).
  const profile = process.env.SERVICE_CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVICE_CPU_PROF_DIR}`, `--cpu-prof-name=${tag}.cpuprofile`]
    : [];
  // SERVICES_FROM=bundles (benchmarks): the esbuild bundles `make up` runs (dist/<name>/main.mjs), so
  // memory and start-up are measured as deployed, without tsx's transform in every process.
  const entry =
    process.env.SERVICES_FROM === 'bundles'
      ? [`dist/${name}/main.mjs`]
      : ['--import', 'tsx', `services/${name}/main.ts`];
  // SERVICE_NODE_FLAGS (infra/lib.sh): the node flags every service runs with, as `make up` starts them.
  const flags = (process.env.SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...flags, ...profile, ...entry], {
    env: {
      ...process.env,
      // SERVICE_MALLOC_ARENA_MAX (infra/lib.sh): glibc's arenas, as `make up` starts them.
      ...(process.env.SERVICE_MALLOC_ARENA_MAX && { MALLOC_ARENA_MAX: process.env.SERVICE_MALLOC_ARENA_MAX }),
      ...env,
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.pipe(out);
  proc.stderr.pipe(out);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode} during start (log: ${logFile})`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} not ready in 60 s (log: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const end = (signal: NodeJS.Signals) => async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      await exited;
    }
  };
  return { url, proc, logFile, stop: end('SIGTERM'), kill: end('SIGKILL') };
}
