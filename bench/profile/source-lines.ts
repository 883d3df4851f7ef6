/**
 * Source lines of our TypeScript frames. tsx compiles each file with esbuild's
 * `minifyWhitespace`, so V8 reports every function of a .ts file on line 1; names survive
 * (`keepNames`). The line is found again by looking for the function's definition by name in
 * the source: a declaration, a method, or a function assigned to a name or property. A name
 * defined more than once gives its first definition; one not found gives no line, never a guess.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** 1-based line of the definition of `name` in `source`, or undefined. */
export function definitionLine(source: string, name: string): number | undefined {
  if (!/^[A-Za-z_$#][\w$]*$/.test(name)) return undefined;
  const n = escapeRegExp(name);
  const patterns = [
    // function name(, async function* name<T>(
    new RegExp(`\\bfunction\\s*\\*?\\s*${n}\\s*[<(]`),
    // const name = (...) =>, name: async function, this.name = () =>
    new RegExp(`(?:^|[\\s.,{])${n}\\s*[:=]\\s*(?:async\\s+)?(?:function\\b|\\(|[\\w$]+\\s*=>|<)`),
    // class Name (a constructor frame carries the class name)
    new RegExp(`\\bclass\\s+${n}\\b`),
    // A method, `  async name(...): T {` or `  private name<T>(` opening a parameter list that
    // goes on over the next lines; a bare call `  name();` ends with `;` and does not match.
    new RegExp(
      `^\\s*(?:(?:public|private|protected|static|async|override|get|set)\\s+)*\\*?${n}\\s*[<(](?:.*[{(])?\\s*$`,
    ),
  ];
  const lines = source.split('\n');
  for (const pattern of patterns) {
    const index = lines.findIndex((line) => pattern.test(line));
    if (index >= 0) return index + 1;
  }
  return undefined;
}

/** Whether V8's position in `url` is of code tsx compiled (not the source's own lines). */
export function compiledByTsx(url: string): boolean {
  return url.startsWith('file://') && !url.includes('/node_modules/') && /\.[cm]?tsx?$/.test(url);
}

/** A `definitionLine` over files read once each. */
export function sourceLineFinder(): (url: string, name: string) => number | undefined {
  const sources = new Map<string, string | undefined>();
  return (url, name) => {
    if (!sources.has(url)) {
      try {
        sources.set(url, fs.readFileSync(fileURLToPath(url), 'utf8'));
      } catch {
        sources.set(url, undefined);
      }
    }
    const source = sources.get(url);
    return source === undefined ? undefined : definitionLine(source, name);
  };
}
