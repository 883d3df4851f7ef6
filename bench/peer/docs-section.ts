/**
 * A bench's section of docs/benchmarks.md: each bench owns the text between its own pair of
 * markers, so `--docs` of one bench replaces its previous run and leaves the others alone.
 */
import fs from 'node:fs';
import * as prettier from 'prettier';

export interface DocsMarkers {
  readonly begin: string;
  readonly end: string;
}

/** The markers of one bench, e.g. `bench:peer`. */
export function docsMarkers(bench: string): DocsMarkers {
  return { begin: `<!-- ${bench} begin -->`, end: `<!-- ${bench} end -->` };
}

/**
 * Puts `section` between the markers in `doc`, replacing what an earlier run put there, or
 * appends it (with the markers) when the document has none yet.
 */
export function spliceDocsSection(doc: string, section: string, markers: DocsMarkers): string {
  const block = `${markers.begin}\n${section.trimEnd()}\n${markers.end}`;
  const begin = doc.indexOf(markers.begin);
  const end = doc.indexOf(markers.end);
  if (begin >= 0 && end > begin) {
    return `${doc.slice(0, begin)}${block}${doc.slice(end + markers.end.length)}`;
  }
  return `${doc.trimEnd()}\n\n${block}\n`;
}

/**
 * Splices the section into the Markdown file and formats the result as the format check wants
 * it (tables aligned), so `--docs` keeps `npm run verify` green.
 */
export async function writeDocsSection(
  docsPath: string,
  section: string,
  markers: DocsMarkers,
): Promise<void> {
  const spliced = spliceDocsSection(fs.readFileSync(docsPath, 'utf8'), section, markers);
  const config = (await prettier.resolveConfig(docsPath)) ?? {};
  fs.writeFileSync(docsPath, await prettier.format(spliced, { ...config, filepath: docsPath }));
}
