/** A horizontal bar chart of ratios to a baseline, written as plain SVG text (no charting dependency). */

/** One bar: a figure's ratio to its baseline, and the goal it is held to, if any. */
export interface RatioBar {
  label: string;
  ratio: number;
  /** The bar passes when `ratio >= goal` (or `<=` when `lowerIsBetter`). */
  goal?: number;
  lowerIsBetter?: boolean;
}

const WIDTH = 760;
const LABEL_WIDTH = 300;
const BAR_HEIGHT = 18;
const GAP = 8;
const TOP = 40;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - 70;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] as string);
}

function passes(bar: RatioBar): boolean | undefined {
  if (bar.goal === undefined) return undefined;
  return bar.lowerIsBetter === true ? bar.ratio <= bar.goal : bar.ratio >= bar.goal;
}

/** Smallest ratio the scale shows; bars start there. */
const SCALE_MIN_RATIO = 0.1;

/**
 * Renders `bars` as an SVG document: one bar per ratio on a shared logarithmic scale (ratios
 * from 0.1x to 50x and more stay readable side by side, and 0.5x is as far below parity as
 * 2x is above), a dashed line at 1 (parity with the baseline), and a tick at each bar's goal.
 * Bars with a goal are green when they meet it and red when they miss it; bars without one are grey.
 */
export function ratioChartSvg(title: string, bars: readonly RatioBar[]): string {
  const maxRatio = Math.max(2, ...bars.map((bar) => bar.ratio), ...bars.map((bar) => bar.goal ?? 0)) * 1.2;
  const span = Math.log10(maxRatio / SCALE_MIN_RATIO);
  const x = (ratio: number): number => LABEL_WIDTH + (Math.log10(Math.max(ratio, SCALE_MIN_RATIO) / SCALE_MIN_RATIO) / span) * PLOT_WIDTH;
  const height = TOP + bars.length * (BAR_HEIGHT + GAP) + 30;
  const rows = bars.map((bar, index) => {
    const y = TOP + index * (BAR_HEIGHT + GAP);
    const verdict = passes(bar);
    const fill = verdict === undefined ? '#8c8c8c' : verdict ? '#2e8b57' : '#c0392b';
    const parts = [
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT - 5}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(bar.ratio) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${fill}"/>`,
      // The value goes after the bar or the goal tick, whichever ends further right, so the tick never covers it.
      `<text x="${(Math.max(x(bar.ratio), bar.goal === undefined ? 0 : x(bar.goal)) + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 5}">${bar.ratio.toFixed(2)}x</text>`,
    ];
    if (bar.goal !== undefined) {
      const goalX = x(bar.goal).toFixed(1);
      parts.push(`<line x1="${goalX}" x2="${goalX}" y1="${y - 2}" y2="${y + BAR_HEIGHT + 2}" stroke="#000" stroke-width="2"/>`);
    }
    return parts.join('');
  });
  const parityX = x(1).toFixed(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    `<line x1="${parityX}" x2="${parityX}" y1="${TOP - 6}" y2="${height - 24}" stroke="#555" stroke-dasharray="4 3"/>`,
    `<text x="${parityX}" y="${height - 10}" text-anchor="middle">log scale; dashed line 1x = baseline; black tick = goal; for times, lower is better</text>`,
    '</svg>',
    '',
  ].join('\n');
}
