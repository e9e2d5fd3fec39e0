/**
 * YAML as Headroom writes it, for files users review and commit: the same objects always give the same
 * bytes, so regenerating a proposal shows only real changes in `git diff`.
 *
 * - Keys in a fixed order: `apiVersion`, `kind`, `type`, `metadata`, `name`, `namespace` (what says what an
 *   object or a list item is: an HPA metric's or a KEDA trigger's `type` reads best first), then the rest
 *   alphabetically, at every level. Builders may assemble objects in any order without changing the output.
 * - No anchors or aliases: an object used twice (one selector in a PDB and a Deployment) is written out
 *   twice, because `kubectl` and most reviewers do not expect `&a1`/`*a1`.
 * - No line folding (lineWidth 0): a PromQL query or a rationale stays on one line.
 * - `null` stays (it deletes a key in a strategic merge patch); `undefined` is left out.
 */
import { Document } from 'yaml';

const LEADING_KEYS = ['apiVersion', 'kind', 'type', 'metadata', 'name', 'namespace'];

/** Objects as a multi-document YAML stream, each document ending in a newline. */
export function toYaml(objects: readonly unknown[]): string {
  return objects
    .map((object) => new Document(ordered(object), { aliasDuplicateObjects: false }).toString({ lineWidth: 0 }))
    .join('---\n');
}

/** A deep copy with keys in the order described above and `undefined` values dropped. */
function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
  entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, ordered(item)]));
}

function rank(key: string): number {
  const index = LEADING_KEYS.indexOf(key);
  return index === -1 ? LEADING_KEYS.length : index;
}
