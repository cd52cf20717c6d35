// What the fault-injection tests share: stopping, SIGKILLing and restarting the stack's servers with
// the infra scripts (same environment as `infra/stack.sh test`, so a private stack's ports/state are
// honoured), a guarantee that every server is left running, and the one-line figures each fault prints.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export type Server = 'kafka' | 'ferretdb' | 'temporal';

const run = promisify(execFile);
const stateDir = () => process.env.STATE_DIR ?? join(process.cwd(), '.state/test');
const pidFile = (s: Server) => join(stateDir(), 'pids', `${s}.pid`);

function pidOf(s: Server): number | undefined {
  if (!existsSync(pidFile(s))) return undefined;
  const pid = Number(readFileSync(pidFile(s), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isRunning(s: Server): boolean {
  const pid = pidOf(s);
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function script(s: Server, action: 'start' | 'stop'): Promise<void> {
  // The scripts wait for readiness themselves (Kafka up to 120 s, Temporal 120 s, FerretDB 60 s).
  await run(`infra/${s}/${s}.sh`, [action], { env: process.env, timeout: 180_000 });
}

/** SIGKILL the server (its whole process group: start_daemon makes it a session leader) — no clean shutdown. */
export async function killServer(s: Server): Promise<void> {
  const pid = pidOf(s);
  if (pid === undefined) throw new Error(`${s} has no pid file at ${pidFile(s)}`);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  for (let i = 0; i < 200 && isRunning(s); i++) await new Promise((r) => setTimeout(r, 50));
}

export const stopServer = (s: Server) => script(s, 'stop');
export const startServer = (s: Server) => script(s, 'start');

/** In finally: whatever happened, the server is running again for the next test file. */
export async function ensureRunning(s: Server): Promise<void> {
  if (!isRunning(s)) await startServer(s);
}

/** A fault's figures in one line the lead can quote, e.g. `FAULT kafka-sigkill: acknowledged=300 found=300 …`. */
export function figures(fault: string, values: Record<string, string | number | boolean>): void {
  console.log(
    `FAULT ${fault}: ${Object.entries(values)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ')}`,
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds since `t0` (performance.now()), one decimal. */
export const secondsSince = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

/** Run `task` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await task(items[i]!, i);
      }
    }),
  );
}
