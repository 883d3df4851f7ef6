/** Hunts: a graph that drops a series, mis-scales it off the plot, or breaks on text needing escapes. */
import { expect, it } from 'vitest';
import { renderLoadGraph } from './load-graph.ts';

it('draws every line inside its panel, with legend, shaded spans and escaped text', () => {
  const svg = renderLoadGraph({
    title: 'Retry storm <budget on & off>',
    subtitle: 'seed 1',
    spans: [{ from: 2, to: 4, label: 'payment failing' }],
    panels: [
      {
        title: 'per second',
        yLabel: 'per s',
        lines: [
          { label: 'attempts (on)', values: [1, 5, 20, 3], color: '#1f77b4' },
          { label: 'attempts (off)', values: [1, 5, 80, 3], color: '#d62728', dash: '6 3' },
        ],
      },
      {
        title: 'window',
        yLabel: 'per 10 s',
        lines: [{ label: 'bound', values: [10, 10], color: '#000' }],
      },
    ],
  });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('Retry storm &lt;budget on &amp; off&gt;');
  expect(svg.match(/<polyline /g)).toHaveLength(3);
  for (const label of ['attempts (on)', 'attempts (off)', 'bound', 'payment failing']) {
    expect(svg).toContain(`>${label}<`);
  }
  // Every plotted y stays within the first panel (top 70, height 300) or the second.
  const ys = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((m) =>
    m[1]!.split(' ').map((pt) => Number(pt.split(',')[1])),
  );
  for (const y of ys) expect(y >= 70 && y <= 810).toBe(true);
});
