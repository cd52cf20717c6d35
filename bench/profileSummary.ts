// Where a service's CPU time went: a V8 CPU profile (--cpu-prof, e.g. from a bench run with
// SERVICE_CPU_PROF_DIR set) summed by self time per package (node_modules/<name>), per project file,
// and V8's own buckets (garbage collector, program, idle). Usage:
//   infra/stack.sh run npx tsx bench/profileSummary.ts <file.cpuprofile> [top=12]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The bucket a frame's self time counts under. */
function bucketOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (pkg) return pkg[1]!;
  if (frame.url.startsWith('node:')) return frame.url;
  const project = /\/(adapters|access|contracts|ledger|projections|revocations|services|workflows)\/.*$/.exec(
    frame.url,
  );
  return project ? project[0].slice(1) : frame.url;
}

function selfTimes(profile: Profile, key: (n: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const k = key(byId.get(id)!);
    totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

function print(title: string, totals: Map<string, number>, top: number): void {
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  const busy = all - (totals.get('(idle)') ?? 0);
  console.log(`\n| ${title} | ms | % of busy |\n|---|---:|---:|`);
  for (const [k, us] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${k} | ${(us / 1000).toFixed(0)} | ${k === '(idle)' ? '—' : ((100 * us) / busy).toFixed(1)} |`);
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profileSummary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(topArg ?? 12);
print(
  'by package / file (self time)',
  selfTimes(profile, (n) => bucketOf(n.callFrame)),
  top,
);
print(
  'by function (self time)',
  selfTimes(profile, (n) => `${n.callFrame.functionName || '(anonymous)'} ${bucketOf(n.callFrame)}`),
  top,
);
