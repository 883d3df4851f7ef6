/**
 * A classic flame graph of a profile tree as a standalone SVG: the root at the bottom, each
 * callee stacked on its caller, width proportional to time with callees (so a frame's own time
 * is the part of it nothing stands on). Frames narrower than `minFraction` of the whole are left
 * out with everything above them; a label is clipped to its frame; hovering shows the function,
 * its file:line, milliseconds and share. Colour says whose code it is: ours (apps/, libs/),
 * a dependency (node_modules), Node's own, or the VM (GC, program, root).
 */
import type { FlameFrame, FrameCategory } from './profile/cpu-profile.ts';

export interface FlameOptions {
  title: string;
  /** A second line under the title (what was measured, when). @default '' */
  subtitle?: string;
  /** @default 1200 */
  width?: number;
  /** Share of the root below which a frame is not drawn. @default 0.001 */
  minFraction?: number;
}

export interface FlameRect {
  readonly frame: FlameFrame;
  /** 0 for the root. */
  readonly depth: number;
  readonly x: number;
  readonly width: number;
}

const FRAME_HEIGHT = 17;
const SIDE = 10;
const TOP = 58;
const BOTTOM = 12;
const FONT_SIZE = 11;
/** Width of one character of the monospace label font at FONT_SIZE. */
const CHAR_WIDTH = FONT_SIZE * 0.6;

/** Where every drawn frame goes: x and width in the drawing area (0..width). */
export function flameLayout(root: FlameFrame, width: number, minFraction: number): FlameRect[] {
  const rects: FlameRect[] = [];
  if (root.totalMs <= 0) return rects;
  const scale = width / root.totalMs;
  const minMs = root.totalMs * minFraction;
  const place = (frame: FlameFrame, depth: number, x: number) => {
    rects.push({ frame, depth, x, width: frame.totalMs * scale });
    let at = x;
    for (const child of frame.children) {
      if (child.totalMs >= minMs) place(child, depth + 1, at);
      at += child.totalMs * scale;
    }
  };
  place(root, 0, 0);
  return rects;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The label that fits `width` pixels: whole, cut with `..`, or nothing. */
export function clipLabel(label: string, width: number): string {
  const fits = Math.floor((width - 6) / CHAR_WIDTH);
  if (fits < 3) return '';
  return label.length <= fits ? label : `${label.slice(0, fits - 2)}..`;
}

const HUES: Record<FrameCategory, [number, number, number]> = {
  // hue range start, range length, lightness
  ours: [18, 28, 60],
  dependency: [195, 30, 68],
  node: [95, 35, 62],
  vm: [0, 0, 72],
};

const LEGEND: [FrameCategory, string][] = [
  ['ours', 'ours (apps/, libs/)'],
  ['dependency', 'node_modules'],
  ['node', 'Node / V8 built-ins'],
  ['vm', 'GC, program, root'],
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

function colour(category: FrameCategory, name: string): string {
  const [start, span, light] = HUES[category];
  const saturation = category === 'vm' ? 0 : 70;
  return `hsl(${(start + hash(name) * span).toFixed(0)},${saturation}%,${light}%)`;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function flameSvg(root: FlameFrame, options: FlameOptions): string {
  const width = options.width ?? 1200;
  const drawWidth = width - 2 * SIDE;
  const rects = flameLayout(root, drawWidth, options.minFraction ?? 0.001);
  const depth = rects.reduce((max, r) => Math.max(max, r.depth), 0);
  const height = TOP + (depth + 1) * FRAME_HEIGHT + BOTTOM;
  const bottomY = height - BOTTOM - FRAME_HEIGHT;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT_SIZE}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fdfdf8"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="15" font-family="sans-serif">${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle) {
    out.push(
      `<text x="${width / 2}" y="34" text-anchor="middle" font-family="sans-serif" fill="#555">${escapeXml(options.subtitle)}</text>`,
    );
  }
  let legendX = SIDE;
  for (const [category, label] of LEGEND) {
    out.push(
      `<rect x="${legendX}" y="41" width="10" height="10" fill="${colour(category, '')}"/>`,
      `<text x="${legendX + 14}" y="50" font-family="sans-serif">${escapeXml(label)}</text>`,
    );
    legendX += 24 + label.length * 6.5;
  }
  for (const rect of rects) {
    const { frame } = rect;
    const x = SIDE + rect.x;
    const y = bottomY - rect.depth * FRAME_HEIGHT;
    const share = (frame.totalMs / root.totalMs) * 100;
    const where = frame.location ? ` (${frame.location})` : '';
    const tip =
      `${frame.name}${where}\n${ms(frame.totalMs)} ms, ${share.toFixed(2)} % ` +
      `(self ${ms(frame.selfMs)} ms)`;
    const label = clipLabel(frame.name, rect.width);
    out.push(
      `<g><title>${escapeXml(tip)}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(rect.width - 0.5, 0.1).toFixed(2)}" height="${FRAME_HEIGHT - 1}" rx="2" fill="${colour(frame.category, frame.name)}"/>` +
        (label ? `<text x="${(x + 3).toFixed(2)}" y="${y + 12}">${escapeXml(label)}</text>` : '') +
        `</g>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
