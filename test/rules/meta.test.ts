import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index';

/**
 * ESLint-style guard: every rule is a triplet — `rules/<id>.ts`, `test/rules/<id>.test.ts`,
 * `docs/rules/<id>.md` — registered in `rules/index.ts` under its own id, with complete metadata
 * and a documentation page that has the sections users rely on.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const ruleFiles = readdirSync(join(ROOT, 'rules'))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.replace(/\.ts$/, ''));
const REQUIRED_SECTIONS = ['## What it detects', '## Signals and PromQL', '## Thresholds', '## Known false positives', '## What to do'];
/** The rule ids the report contract fixes (issue "The rules engine and the bottleneck rules"). */
const FIXED_IDS = [
  'cache-stampede',
  'connection-pool-exhaustion',
  'consumer-lag',
  'cpu-throttling',
  'hot-shard',
  'hpa-amplifies-db',
  'hpa-cpu-misuse',
  'hpa-flapping',
  'hpa-maxed-out',
  'memory-pressure',
  'missing-pdb',
  'overprovisioned',
  'slo-burn',
];

describe('rule modules', () => {
  it('ships every fixed rule id', () => {
    expect(Object.keys(RULES).sort()).toEqual(FIXED_IDS);
  });

  it('registers rules alphabetically', () => {
    const ids = Object.keys(RULES);
    expect(ids).toEqual([...ids].sort());
  });

  it('has an index entry for every rule file and a file for every entry', () => {
    expect(ruleFiles.sort()).toEqual(Object.keys(RULES).sort());
  });

  for (const [id, rule] of Object.entries(RULES)) {
    describe(id, () => {
      it('has complete metadata under its own id', () => {
        expect(rule.meta.id).toBe(id);
        expect(rule.meta.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(rule.meta.title.length).toBeGreaterThan(5);
        expect(rule.meta.description.length).toBeGreaterThan(20);
        expect(['critical', 'warning', 'info']).toContain(rule.meta.defaultSeverity);
        expect(['saturation', 'autoscaling', 'resources', 'reliability', 'data']).toContain(rule.meta.category);
        expect(rule.meta.docs).toBe(`docs/rules/${id}.md`);
        expect(typeof rule.evaluate).toBe('function');
      });

      it('has a table-driven test file', () => {
        const path = join(ROOT, 'test', 'rules', `${id}.test.ts`);
        expect(existsSync(path), path).toBe(true);
        expect(readFileSync(path, 'utf8')).toMatch(/it\.each|describe\.each|for \(const/);
      });

      it('has a documentation page with the required sections', () => {
        const path = join(ROOT, 'docs', 'rules', `${id}.md`);
        expect(existsSync(path), path).toBe(true);
        const text = readFileSync(path, 'utf8');
        expect(text.startsWith(`# ${id}`)).toBe(true);
        for (const section of REQUIRED_SECTIONS) expect(text, `${id}: ${section}`).toContain(section);
      });
    });
  }
});
