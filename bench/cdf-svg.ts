/** A latency CDF as a small self-contained SVG: one line per series, log-scaled x axis. */
export interface CdfSeries {
  readonly label: string;
  readonly samplesMs: readonly number[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

export function cdfSvg(title: string, series: readonly CdfSeries[]): string {
  const W = 760;
  const H = 420;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const all = series.flatMap((s) => s.samplesMs).filter((x) => x > 0);
  const lo = Math.max(1, Math.min(...all));
  const hi = Math.max(...all) * 1.05;
  const x = (ms: number) =>
    m.l +
    ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      (W - m.l - m.r);
  const y = (p: number) => H - m.b - p * (H - m.t - m.b);
  const lines = series.map((s, i) => {
    const sorted = [...s.samplesMs].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const pts: string[] = [];
    for (let k = 0; k < sorted.length; k += step)
      pts.push(`${x(sorted[k]!).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
    pts.push(`${x(sorted.at(-1)!).toFixed(1)},${y(1).toFixed(1)}`);
    const color = COLORS[i % COLORS.length];
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>
<text x="${W - m.r - 200}" y="${m.t + 20 + i * 18}" fill="${color}" font-size="13">${escape(s.label)}</text>`;
  });
  const ticks: string[] = [];
  for (let d = Math.pow(10, Math.floor(Math.log10(lo))); d <= hi; d *= 10) {
    for (const f of [1, 2, 5]) {
      const v = d * f;
      if (v < lo || v > hi) continue;
      ticks.push(
        `<line x1="${x(v)}" x2="${x(v)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${x(v)}" y="${H - m.b + 18}" font-size="11" text-anchor="middle">${v >= 1000 ? `${v / 1000}s` : `${v}ms`}</text>`,
      );
    }
  }
  for (const p of [0, 0.5, 0.9, 0.99, 1]) {
    ticks.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(p)}" y2="${y(p)}" stroke="#eee"/><text x="${m.l - 6}" y="${y(p) + 4}" font-size="11" text-anchor="end">${p}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="22" font-size="15" text-anchor="middle">${escape(title)}</text>
${ticks.join('\n')}
<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="black"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="black"/>
<text x="${W / 2}" y="${H - 12}" font-size="12" text-anchor="middle">saga latency (accepted → terminal, log scale)</text>
<text x="16" y="${H / 2}" font-size="12" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">fraction of orders</text>
${lines.join('\n')}
</svg>
`;
}

function escape(s: string): string {
  return s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}
