/**
 * A hand-rolled SVG line chart for the retry storm: per-second rates of both runs on one time
 * axis (top panel), and the trailing-window attempts against the retry budget's bound (bottom
 * panel), with the fault window shaded. No dependencies; deterministic output for a given input.
 */

export interface GraphLine {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
  /** SVG stroke-dasharray, e.g. '6 3'. @default solid */
  readonly dash?: string;
  /** @default 1.5 */
  readonly width?: number;
}

export interface GraphPanel {
  readonly title: string;
  readonly yLabel: string;
  readonly lines: readonly GraphLine[];
}

export interface LoadGraph {
  readonly title: string;
  readonly subtitle: string;
  /** Shaded spans in seconds, e.g. the fault window. */
  readonly spans: readonly { from: number; to: number; label: string }[];
  readonly panels: readonly GraphPanel[];
}

const W = 1000;
const PANEL_H = 300;
const M = { left: 64, right: 250, top: 70, gap: 70, bottom: 50 };

export function renderLoadGraph(g: LoadGraph): string {
  const seconds = Math.max(1, ...g.panels.flatMap((p) => p.lines.map((l) => l.values.length)));
  const plotW = W - M.left - M.right;
  const height = M.top + g.panels.length * PANEL_H + (g.panels.length - 1) * M.gap + M.bottom;
  const x = (s: number) => M.left + (s / seconds) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="white"/>`,
    `<text x="${M.left}" y="24" font-size="17" font-weight="bold">${esc(g.title)}</text>`,
    `<text x="${M.left}" y="44" fill="#444">${esc(g.subtitle)}</text>`,
  ];
  g.panels.forEach((panel, i) => {
    const top = M.top + i * (PANEL_H + M.gap);
    const max = niceCeil(Math.max(1, ...panel.lines.flatMap((l) => l.values)));
    const y = (v: number) => top + PANEL_H - (v / max) * PANEL_H;
    for (const span of g.spans) {
      out.push(
        `<rect x="${f(x(span.from))}" y="${top}" width="${f(x(span.to) - x(span.from))}" height="${PANEL_H}" fill="#f6d7d7" opacity="0.6"/>`,
        `<text x="${f(x(span.from) + 4)}" y="${top + 14}" fill="#a33">${esc(span.label)}</text>`,
      );
    }
    for (let k = 0; k <= 5; k++) {
      const v = (max * k) / 5;
      out.push(
        `<line x1="${M.left}" x2="${M.left + plotW}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e5e5"/>`,
        `<text x="${M.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${fmtNum(v)}</text>`,
      );
    }
    const step = seconds > 60 ? 10 : 5;
    for (let s = 0; s <= seconds; s += step) {
      out.push(
        `<line x1="${f(x(s))}" x2="${f(x(s))}" y1="${top + PANEL_H}" y2="${top + PANEL_H + 4}" stroke="#333"/>`,
        `<text x="${f(x(s))}" y="${top + PANEL_H + 17}" text-anchor="middle">${s}</text>`,
      );
    }
    out.push(
      `<rect x="${M.left}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#333"/>`,
      `<text x="${M.left}" y="${top - 8}" font-weight="bold">${esc(panel.title)}</text>`,
      `<text transform="translate(16 ${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${esc(panel.yLabel)}</text>`,
      `<text x="${M.left + plotW / 2}" y="${top + PANEL_H + 34}" text-anchor="middle">seconds since the load started</text>`,
    );
    panel.lines.forEach((line, j) => {
      const pts = line.values.map((v, s) => `${f(x(s + 0.5))},${f(y(v))}`).join(' ');
      const dash = line.dash === undefined ? '' : ` stroke-dasharray="${line.dash}"`;
      out.push(
        `<polyline fill="none" stroke="${line.color}" stroke-width="${line.width ?? 1.5}"${dash} points="${pts}"/>`,
      );
      const ly = top + 10 + j * 18;
      const lx = M.left + plotW + 16;
      out.push(
        `<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="${line.width ?? 1.5}"${dash}/>`,
        `<text x="${lx + 32}" y="${ly + 4}">${esc(line.label)}</text>`,
      );
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= v) ?? 10 * p;
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();
const fmtNum = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
