/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) as the functions with the most self time,
 * grouped by package, to see where a benchmark's time goes:
 *
 *   node --cpu-prof --cpu-prof-dir=bench/.tmp/prof --import tsx bench/run.ts --only=consume
 *   npx tsx bench/top-functions.ts bench/.tmp/prof/<file>.cpuprofile [count]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a script lives, shortened to its package (or project folder) and file. */
function shortLocation(url: string): string {
  if (url === '') return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const project = /\/(lib|bench|functions|scripts)\//.exec(url);
  return project === null ? url : url.slice(project.index + 1);
}

/** Self time in milliseconds by function, and by package, largest first. */
function topFunctions(profile: Profile): { byFunction: [string, number][]; byPackage: [string, number][] } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const node = nodes.get(id);
    if (node === undefined) return;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const location = shortLocation(node.callFrame.url);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${location}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const scoped = location.startsWith('@') ? location.split('/').slice(0, 2).join('/') : (location.split('/')[0] ?? location);
    byPackage.set(scoped, (byPackage.get(scoped) ?? 0) + ms);
  });
  const sorted = (map: Map<string, number>): [string, number][] => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return { byFunction: sorted(byFunction), byPackage: sorted(byPackage) };
}

const file = process.argv[2];
if (file !== undefined && import.meta.url.endsWith(process.argv[1]?.split('/').pop() ?? '\0')) {
  const count = Number(process.argv[3] ?? 25);
  const { byFunction, byPackage } = topFunctions(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  process.stdout.write('self ms  package\n');
  for (const [name, ms] of byPackage.slice(0, 15)) process.stdout.write(`${ms.toFixed(0).padStart(7)}  ${name}\n`);
  process.stdout.write('\nself ms  function\n');
  for (const [name, ms] of byFunction.slice(0, count)) process.stdout.write(`${ms.toFixed(0).padStart(7)}  ${name}\n`);
}
