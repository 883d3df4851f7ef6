/**
 * Hunts bugs that would point a hot spot at the wrong line: a call taken for the definition, a
 * name matched inside a longer name, a regular-expression character in a name, and a guess
 * where the definition is not there.
 */
import { describe, expect, it } from 'vitest';
import { compiledByTsx, definitionLine } from './source-lines.ts';

const SOURCE = [
  "import { x } from './x.ts';", // 1
  'export function writeDurably(batch: Batch) {', // 2
  '  return sendAll(batch);', // 3
  '}', // 4
  'export class Replica {', // 5
  '  private async run<T>(work: () => T) {', // 6
  '    return work();', // 7
  '  }', // 8
  '  get size() {', // 9
  '    return 1;', // 10
  '  }', // 11
  '}', // 12
  'const sendAll = async (batch: Batch) => batch;', // 13
  'const table = { parse: (text: string) => text, $x: 1 };', // 14
].join('\n');

describe('definitionLine', () => {
  it('finds declarations, methods, getters, arrow functions and classes', () => {
    expect(definitionLine(SOURCE, 'writeDurably')).toBe(2);
    expect(definitionLine(SOURCE, 'run')).toBe(6);
    expect(definitionLine(SOURCE, 'size')).toBe(9);
    expect(definitionLine(SOURCE, 'sendAll')).toBe(13);
    expect(definitionLine(SOURCE, 'parse')).toBe(14);
    expect(definitionLine(SOURCE, 'Replica')).toBe(5);
  });

  it('does not take a call or a longer name for the definition, and does not guess', () => {
    expect(definitionLine('  return work();\nfunction work() {}', 'work')).toBe(2);
    expect(definitionLine('  flush();\n  flush(): void {', 'flush')).toBe(2);
    expect(definitionLine('  async write(\n    batch: Batch,\n  ) {', 'write')).toBe(1);
    expect(definitionLine('function writeDurablyAll() {}', 'writeDurably')).toBeUndefined();
    expect(definitionLine(SOURCE, 'missing')).toBeUndefined();
    expect(definitionLine(SOURCE, '(anonymous)')).toBeUndefined();
    expect(definitionLine('const a$b = () => 1;', 'a$b')).toBe(1);
  });
});

describe('compiledByTsx', () => {
  it('is true for our TypeScript files only', () => {
    expect(compiledByTsx('file:///r/libs/a.ts')).toBe(true);
    expect(compiledByTsx('file:///r/node_modules/x/a.ts')).toBe(false);
    expect(compiledByTsx('file:///r/libs/a.js')).toBe(false);
    expect(compiledByTsx('node:internal/timers')).toBe(false);
  });
});
