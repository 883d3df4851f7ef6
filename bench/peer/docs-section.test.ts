/**
 * Hunts bugs in how a bench writes its docs section: a section duplicated instead of replaced,
 * text around it lost, and one bench's `--docs` overwriting another bench's section.
 */
import { describe, expect, it } from 'vitest';
import { docsMarkers, spliceDocsSection } from './docs-section.ts';

const peer = docsMarkers('bench:peer');
const profile = docsMarkers('bench:profile');

describe('spliceDocsSection', () => {
  it('appends the section with its markers when the document has none', () => {
    const out = spliceDocsSection('# Benchmarks\n\ntext\n', '## Peer\n\ntable', peer);
    expect(out).toBe(
      `# Benchmarks\n\ntext\n\n<!-- bench:peer begin -->\n## Peer\n\ntable\n<!-- bench:peer end -->\n`,
    );
  });

  it('replaces the previous run’s section in place, leaving the rest untouched', () => {
    const first = spliceDocsSection('# B\n\nbefore\n', 'old', peer);
    const second = spliceDocsSection(`${first}\n## After\n`, 'new', peer);
    expect(second).toContain(`${peer.begin}\nnew\n${peer.end}`);
    expect(second).not.toContain('old');
    expect(second.split(peer.begin)).toHaveLength(2);
    expect(second).toMatch(/before[\s\S]*new[\s\S]*## After/);
  });

  it('keeps another bench’s section when one bench rewrites its own', () => {
    const both = spliceDocsSection(
      spliceDocsSection('# B\n', 'peer table', peer),
      'flame',
      profile,
    );
    const again = spliceDocsSection(both, 'flame 2', profile);
    expect(again).toContain(`${peer.begin}\npeer table\n${peer.end}`);
    expect(again).toContain(`${profile.begin}\nflame 2\n${profile.end}`);
    expect(again).not.toContain('flame\n');
  });
});
