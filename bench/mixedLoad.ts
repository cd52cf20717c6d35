// A closed-loop load over two services at once in a fixed mix BY REQUEST (e.g. 9 decisions, then 1
// event): `callers` callers, each sending the next request of the mix as soon as its last is answered.
// autocannon drives one origin per run, and two runs side by side would fix the split of connections,
// not of requests (the slower service would get fewer). Loopback, keep-alive, bounded in time.
import http from 'node:http';

export interface MixTarget {
  name: string;
  /** Origin, e.g. http://127.0.0.1:18270. */
  url: string;
  path: string;
  headers: Record<string, string>;
  status: number;
  body(n: number): string;
}

export interface MixResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Status → count of the answers that were not the target's status (0: no answer, a socket error). */
  failures: Map<number, number>;
}

/** `mix`: the targets in the order of one cycle, repeated (a name may appear several times). */
export async function mixedLoad(mix: MixTarget[], callers: number, seconds: number): Promise<Map<string, MixResult>> {
  const origins = new Map(
    mix.map((t) => {
      const { hostname, port } = new URL(t.url);
      return [t.url, { hostname, port, agent: new http.Agent({ keepAlive: true, maxSockets: callers }) }];
    }),
  );
  const latencies = new Map(mix.map((t) => [t.name, [] as number[]]));
  const failures = new Map(mix.map((t) => [t.name, new Map<number, number>()]));
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const i = n++;
        const target = mix[i % mix.length]!;
        const t0 = performance.now();
        const status = await post(origins.get(target.url)!, target, target.body(i)).catch(() => 0);
        if (status === target.status) latencies.get(target.name)!.push(performance.now() - t0);
        else {
          const f = failures.get(target.name)!;
          f.set(status, (f.get(status) ?? 0) + 1);
        }
      }
    }),
  );
  for (const o of origins.values()) o.agent.destroy();
  return new Map(
    [...latencies].map(([name, ms]) => {
      ms.sort((a, b) => a - b);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] ?? NaN;
      const result = { requests: ms.length, rps: ms.length / seconds, p50: at(0.5), p99: at(0.99) };
      const f = failures.get(name)!;
      return [name, { ...result, errors: [...f.values()].reduce((a, b) => a + b, 0), failures: f }];
    }),
  );
}

function post(
  { agent, hostname, port }: { agent: http.Agent; hostname: string; port: string },
  target: MixTarget,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        hostname,
        port,
        path: target.path,
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
