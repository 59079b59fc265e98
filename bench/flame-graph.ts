/**
 * A flame graph (SVG) of a V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` or the
 * inspector's `Profiler.stop` writes it): one box per call path, as wide as the time spent in
 * it and in what it called, callers below callees. Boxes narrower than a pixel are left out;
 * each box's tooltip gives its function, file and share of the time. Colours tell whose code
 * it is: the project's (`lib/`), kafkajs, Node.js and its built-ins, the rest, and the time the
 * process waited with nothing to do (`(idle)`: on the produce path, the broker's round trip).
 */

/** The parts of a V8 CPU profile the graph reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

/** Options of {@link renderFlameGraph}. */
export interface FlameGraphOptions {
  title: string;
  /** A line under the title: what was profiled. */
  subtitle?: string;
  widthPx?: number;
}

interface Frame {
  name: string;
  where: string;
  kind: FrameKind;
  totalUs: number;
  children: Frame[];
}

const FrameKind = { Ours: 'ours', Kafkajs: 'kafkajs', Node: 'node', Idle: 'idle', Other: 'other' } as const;
type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const COLOURS: Record<FrameKind, string> = {
  ours: '#e8743b',
  kafkajs: '#4c9be8',
  node: '#b0b0b0',
  idle: '#e6e6e6',
  other: '#9bd17a',
};

const ROW_PX = 17;
const HEADER_PX = 50;
const FONT_PX = 11;
const CHAR_PX = 6.2;

function kindOf(name: string, url: string): FrameKind {
  if (name === '(idle)') return FrameKind.Idle;
  if (url.includes('/node_modules/kafkajs/')) return FrameKind.Kafkajs;
  if (url.includes('/lib/') && !url.includes('/node_modules/')) return FrameKind.Ours;
  if (url === '' || url.startsWith('node:')) return FrameKind.Node;
  return FrameKind.Other;
}

/** A frame's file as the repository names it: never a path of the machine that ran the profile. */
function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) return path.slice(inModules + '/node_modules/'.length);
  for (const folder of ['/lib/', '/bench/', '/local/', '/scripts/', '/functions/']) {
    const at = path.lastIndexOf(folder);
    if (at >= 0) return path.slice(at + 1);
  }
  return path.startsWith('/') ? (path.split('/').pop() ?? '') : path;
}

/** The profile as a tree of frames with their total time, children merged by name and place. */
function frameTree(profile: CpuProfile): Frame {
  const selfUs = new Map<number, number>();
  for (let index = 0; index < profile.samples.length; index += 1) {
    const id = profile.samples[index] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const build = (id: number): Frame => {
    const node = byId.get(id);
    if (node === undefined) return { name: '?', where: '', kind: FrameKind.Other, totalUs: 0, children: [] };
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const merged = new Map<string, Frame>();
    for (const child of (node.children ?? []).map(build)) {
      const key = `${child.name} ${child.where}`;
      const same = merged.get(key);
      if (same === undefined) merged.set(key, child);
      else {
        same.totalUs += child.totalUs;
        same.children.push(...child.children);
      }
    }
    const children = [...merged.values()].filter((child) => child.totalUs > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const totalUs = (selfUs.get(id) ?? 0) + children.reduce((sum, child) => sum + child.totalUs, 0);
    return {
      name,
      where: url === '' ? '' : lineNumber > 0 ? `${shortPath(url)}:${lineNumber + 1}` : shortPath(url),
      kind: kindOf(name, url),
      totalUs,
      children,
    };
  };
  const root = profile.nodes[0];
  return root === undefined ? { name: '(root)', where: '', kind: FrameKind.Other, totalUs: 0, children: [] } : build(root.id);
}

function depthOf(frame: Frame, minUs: number): number {
  let deepest = 0;
  for (const child of frame.children) if (child.totalUs >= minUs) deepest = Math.max(deepest, depthOf(child, minUs));
  return deepest + 1;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders `profile` as a standalone SVG flame graph. */
export function renderFlameGraph(profile: CpuProfile, options: FlameGraphOptions): string {
  const widthPx = options.widthPx ?? 1200;
  const root = frameTree(profile);
  const totalUs = Math.max(1, root.totalUs);
  const usPerPx = totalUs / widthPx;
  const rows = depthOf(root, usPerPx);
  const heightPx = HEADER_PX + rows * ROW_PX + 30;
  const boxes: string[] = [];
  const draw = (frame: Frame, xPx: number, depth: number): void => {
    const w = frame.totalUs / usPerPx;
    if (w < 1) return;
    const y = heightPx - 30 - (depth + 1) * ROW_PX;
    const share = ((frame.totalUs / totalUs) * 100).toFixed(1);
    const label = `${frame.name}${frame.where === '' ? '' : ` (${frame.where})`}`;
    const fits = Math.floor((w - 6) / CHAR_PX);
    const text = fits < 3 ? '' : label.length <= fits ? label : `${label.slice(0, fits - 2)}..`;
    boxes.push(
      `<g><title>${escapeXml(`${label}: ${share}% (${(frame.totalUs / 1000).toFixed(1)} ms)`)}</title>` +
        `<rect x="${xPx.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW_PX - 1}" fill="${COLOURS[frame.kind]}" rx="2"/>` +
        (text === '' ? '' : `<text x="${(xPx + 3).toFixed(1)}" y="${y + ROW_PX - 5}">${escapeXml(text)}</text>`) +
        '</g>',
    );
    let childX = xPx;
    for (const child of frame.children) {
      draw(child, childX, depth + 1);
      childX += child.totalUs / usPerPx;
    }
  };
  draw(root, 0, 0);
  const legend = (Object.entries(COLOURS) as [FrameKind, string][])
    .map(([kind, colour], index) => {
      const x = widthPx - 5 * 110 + index * 110;
      const name = { ours: 'lib/ (ours)', kafkajs: 'kafkajs', node: 'Node.js', idle: 'idle (waiting)', other: 'other' }[kind];
      return `<rect x="${x}" y="${heightPx - 20}" width="12" height="12" fill="${colour}"/><text x="${x + 16}" y="${heightPx - 10}">${name}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${widthPx} ${heightPx}" font-family="monospace" font-size="${FONT_PX}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="0" y="18" font-size="15">${escapeXml(options.title)}</text>`,
    options.subtitle === undefined ? '' : `<text x="0" y="36">${escapeXml(options.subtitle)}</text>`,
    ...boxes,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
