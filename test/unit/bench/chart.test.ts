import { describe, expect, it } from 'vitest';
import { ratioChartSvg } from '../../../bench/chart';

describe('ratioChartSvg', () => {
  const svg = ratioChartSvg('Ratios <to> baseline', [
    { label: 'produce 100/req', ratio: 0.9, goal: 0.8 },
    { label: 'consume 100 x 1', ratio: 2, goal: 3 },
    { label: 'cold start', ratio: 1.5 },
    { label: 'requests/record', ratio: 0.5, goal: 1, lowerIsBetter: true },
  ]);

  it('is an SVG document with the title escaped', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Ratios &lt;to&gt; baseline');
  });

  it('draws one bar per ratio plus the background', () => {
    expect(svg.match(/<rect /g)).toHaveLength(5);
  });

  it('colours met goals green, missed goals red and bars without a goal grey', () => {
    const fills = [...svg.matchAll(/<rect x="300"[^>]*fill="([^"]+)"/g)].map((match) => match[1]);
    expect(fills).toEqual(['#2e8b57', '#c0392b', '#8c8c8c', '#2e8b57']);
  });

  it('scales bars logarithmically from 0.1x: each tenfold ratio adds the same length', () => {
    // Largest value is 3 (a goal), so the scale ends at 3.6; the plot is 390 px wide from x=300.
    const widths = [...svg.matchAll(/<rect x="300"[^>]*width="([\d.]+)"/g)].map((match) => Number(match[1]));
    const span = Math.log10(3.6 / 0.1);
    expect(widths[1]).toBeCloseTo((Math.log10(2 / 0.1) / span) * 390, 1);
    expect(widths[3]).toBeCloseTo((Math.log10(0.5 / 0.1) / span) * 390, 1);
  });

  it('draws the parity line at 1x', () => {
    const parityX = (Math.log10(1 / 0.1) / Math.log10(3.6 / 0.1)) * 390 + 300;
    expect(svg).toContain(`<line x1="${parityX.toFixed(1)}" x2="${parityX.toFixed(1)}"`);
  });

  it('labels each bar with its ratio', () => {
    expect(svg).toContain('0.90x');
    expect(svg).toContain('2.00x');
  });
});
