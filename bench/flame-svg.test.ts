/**
 * Hunts bugs in the flame graph renderer that would draw a misleading picture: widths not
 * proportional to total time, callees placed outside their caller, a narrow frame kept (or its
 * callees drawn without it), labels overflowing their frame, and function names with < > &
 * breaking the SVG.
 */
import { describe, expect, it } from 'vitest';
import { clipLabel, escapeXml, flameLayout, flameSvg } from './flame-svg.ts';
import { HAND_MADE } from './profile/hand-made-profile.ts';
import { parseCpuProfile, profileTree } from './profile/cpu-profile.ts';
import type { FlameFrame } from './profile/cpu-profile.ts';

const tree = () => profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), { repoRoot: '/repo' });

describe('flameLayout', () => {
  it('gives each frame a width proportional to its total, callees side by side within it', () => {
    // Busy 8 ms on 800 px: 100 px per ms. Root children by name: (garbage collector), main.
    const rects = flameLayout(tree().root, 800, 0);
    const at = (name: string) => rects.find((r) => r.frame.name === name)!;
    expect(at('all')).toMatchObject({ depth: 0, x: 0, width: 800 });
    expect(at('(garbage collector)')).toMatchObject({ depth: 1, x: 0, width: 100 });
    expect(at('main')).toMatchObject({ depth: 1, x: 100, width: 700 });
    expect(at('hot')).toMatchObject({ depth: 2, x: 100, width: 400 });
    expect(at('parse')).toMatchObject({ depth: 2, x: 500, width: 200 });
    expect(at('deep')).toMatchObject({ depth: 3, x: 500, width: 100 });
  });

  it('drops frames under the minimum share with their callees, keeping the others in place', () => {
    const rects = flameLayout(tree().root, 800, 0.3);
    expect(rects.map((r) => r.frame.name).sort()).toEqual(['all', 'hot', 'main']);
    expect(rects.find((r) => r.frame.name === 'main')!.x).toBe(100);
  });
});

describe('flameSvg', () => {
  it('escapes < > & in names and tooltips and states file:line, ms and share', () => {
    const root: FlameFrame = {
      name: 'all',
      location: '',
      category: 'vm',
      selfMs: 0,
      totalMs: 10,
      children: [
        {
          name: '<lambda> & "co"',
          location: 'libs/a<b>.ts:3',
          category: 'ours',
          selfMs: 10,
          totalMs: 10,
          children: [],
        },
      ],
    };
    const svg = flameSvg(root, { title: 'order <leader>' });
    expect(svg).not.toMatch(/<lambda>|a<b>|<leader>/);
    expect(svg).toContain('&lt;lambda&gt; &amp; &quot;co&quot; (libs/a&lt;b&gt;.ts:3)');
    expect(svg).toContain('10.0 ms, 100.00 %');
    expect(svg).toContain('order &lt;leader&gt;');
    // Well formed enough: every opened <g> closed.
    expect(svg.match(/<g>/g)).toHaveLength(svg.match(/<\/g>/g)!.length);
  });

  it('draws the root at the bottom and callees above it', () => {
    const svg = flameSvg(tree().root, { title: 't', width: 820 });
    const y = (name: string) =>
      Number(new RegExp(`<title>${name}[^<]*</title><rect [^>]*y="(\\d+)"`).exec(svg)![1]);
    expect(y('all')).toBeGreaterThan(y('main'));
    expect(y('main')).toBeGreaterThan(y('hot'));
  });
});

describe('clipLabel', () => {
  it('fits the label to the frame or leaves it out', () => {
    expect(clipLabel('short', 200)).toBe('short');
    const clipped = clipLabel('a'.repeat(100), 80);
    expect(clipped.endsWith('..')).toBe(true);
    expect(clipped.length * 11 * 0.6).toBeLessThanOrEqual(80);
    expect(clipLabel('anything', 15)).toBe('');
  });

  it('escapes all five XML specials', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
});
