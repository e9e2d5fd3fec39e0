import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../cli/errors';
import { averageReplicas } from '../../cli/export';
import { summaryMarkdown } from '../../cli/format/summary';
import { checkOutputDir, prepareOutputDir, writeOutputFiles } from '../../cli/output-dir';
import { createProgress, progressLine } from '../../cli/progress';
import { reportJsonSchemaText } from '../../cli/report-schema';
import Ajv2020 from 'ajv/dist/2020';
import { savingsSummary } from '../../core/export/savings';
import { REPO_ROOT } from './run-cli';
import { sampleReport } from './fixtures';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'headroom-cli-test-'));
}

function cliError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as Error).message;
  }
  throw new Error('expected a CliError');
}

describe('the output folder', () => {
  it('creates a new folder and writes the files below it', () => {
    const dir = join(scratch(), 'a', 'b');
    const root = prepareOutputDir(dir, false);
    expect(writeOutputFiles(root, [{ path: 'SUMMARY.md', content: '# x\n' }, { path: 'shop/deployment-api.yaml', content: 'kind: Deployment\n' }])).toEqual(['SUMMARY.md', 'shop/deployment-api.yaml']);
    expect(readFileSync(join(dir, 'shop/deployment-api.yaml'), 'utf8')).toBe('kind: Deployment\n');
  });

  it('refuses a folder that is not empty unless forced, and a file in its place', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'mine.yaml'), 'x');
    expect(cliError(() => checkOutputDir(dir, false))).toBe(`--out ${dir} is not empty; choose an empty or new folder, or pass --force to write into it`);
    expect(() => checkOutputDir(dir, true)).not.toThrow();
    expect(cliError(() => checkOutputDir(join(dir, 'mine.yaml'), true))).toBe(`--out ${join(dir, 'mine.yaml')} is a file; choose a folder`);
  });

  it.each([['../escape.yaml'], ['shop/../../escape.yaml'], ['/tmp/escape.yaml'], ['.']])('never writes outside the folder: %s', (path) => {
    const root = prepareOutputDir(join(scratch(), 'out'), false);
    expect(cliError(() => writeOutputFiles(root, [{ path, content: 'x' }]))).toMatch(/^refusing to write .*: it is outside the output folder/);
  });

  it('never follows a symbolic link out of the folder', () => {
    const outside = scratch();
    const root = prepareOutputDir(scratch(), false);
    symlinkSync(outside, join(root, 'shop'));
    expect(cliError(() => writeOutputFiles(root, [{ path: 'shop/x.yaml', content: 'x' }]))).toMatch(/its folder leads outside the output folder .* \(a symbolic link\)$/);
    symlinkSync(join(outside, 'target.yaml'), join(root, 'link.yaml'));
    expect(cliError(() => writeOutputFiles(root, [{ path: 'link.yaml', content: 'x' }]))).toMatch(/it is a symbolic link in the output folder/);
    expect(existsSync(join(outside, 'x.yaml'))).toBe(false);
    expect(existsSync(join(outside, 'target.yaml'))).toBe(false);
  });

  it('says which file it could not write and why', () => {
    const root = prepareOutputDir(scratch(), false);
    mkdirSync(join(root, 'taken.yaml'));
    expect(cliError(() => writeOutputFiles(root, [{ path: 'taken.yaml', content: 'x' }]))).toBe(`cannot write ${join(root, 'taken.yaml')} (EISDIR); check the folder's permissions and free space`);
  });
});

describe('SUMMARY.md', () => {
  const report = sampleReport();
  const summary = summaryMarkdown({
    report,
    savings: savingsSummary(report.recommendations, null),
    files: ['SUMMARY.md', 'analytics/deployment-reporting.yaml'],
    diffs: new Map([['analytics/Deployment/reporting', '--- a\n+++ b\n@@ -1 +1 @@\n-cpu: 2\n+cpu: 45m\n']]),
    source: { metrics: 'http://prom:9090', objects: 'nowhere' },
    layout: 'per-workload',
  });
  const lines = summary.split('\n');

  it('says what changes per workload, why, and which findings it answers', () => {
    expect(lines).toContain('### analytics/Deployment/reporting');
    expect(lines).toContain('- container `reporting`: cpu request 2 → 45m, memory request 4Gi → 956Mi, memory limit 4Gi → 956Mi (confidence 90%)');
    expect(lines).toContain('  - CPU request = pooled p95 of usage (38m) + 10 %');
    expect(lines).toContain('  - answers warning `overprovisioned` on analytics/Deployment/reporting');
    expect(lines).toContain('- HorizontalPodAutoscaler: replicas 2–5 on http_requests_per_second, 39.1 per pod (confidence 100%)');
    expect(lines).toContain('- PodDisruptionBudget: maxUnavailable 1');
  });

  it('keeps a multi-line reason whole, as a YAML block', () => {
    const at = lines.indexOf('  - needs an adapter; its rule:');
    expect(lines.slice(at, at + 6)).toEqual(['  - needs an adapter; its rule:', '', '    ```yaml', '    rules:', '      - name: x', '    ```']);
  });

  it('shows the diff and the savings, with the replica count when it is unknown', () => {
    expect(summary).toContain('```diff\n--- a\n+++ b\n@@ -1 +1 @@\n-cpu: 2\n+cpu: 45m\n```');
    expect(summary).toContain('| CPU (cores) | 0 | 0 | 0 |');
    expect(summary).toContain('Saves per pod: 1.955 cores and 3.07 GiB; the replica count is unknown (the workload is not in the fleet).');
    expect(lines).toContain('- `analytics/deployment-reporting.yaml`');
  });
});

describe('average replicas for savings', () => {
  const workload = (points: Array<number | null>): Parameters<typeof averageReplicas>[0][number] =>
    ({
      key: { namespace: 'shop', workloadType: 'Deployment', workload: 'api' },
      timeline: { replicas: { points: points.map((value, i) => ({ time: i, value })), step: 60, query: '' } },
    }) as unknown as Parameters<typeof averageReplicas>[0][number];

  it.each([
    [[2, 4, null, 6], 4],
    [[null], null],
    [[], null],
  ])('%j → %s', (points, average) => {
    expect(averageReplicas([workload(points)], { namespace: 'shop', kind: 'Deployment', name: 'api' })).toBe(average);
  });

  it('is unknown for a workload the analysis did not see', () => {
    expect(averageReplicas([workload([3])], { namespace: 'shop', kind: 'StatefulSet', name: 'api' })).toBeNull();
  });
});

describe('progress on stderr', () => {
  it.each([
    [1, 7, 'checking which metrics the store holds', '0 s', 80, '[....................] 1/7 checking which metrics the store holds 0 s'],
    [4, 7, 'measuring CPU', '14 s', 80, '[#########...........] 4/7 measuring CPU 14 s'],
    [9, 7, 'more steps than expected', '3 s', 80, '[##################..] 9/9 more steps than expected 3 s'],
    [2, 4, 'a very long step description that does not fit', '1 s', 50, '[#####...............] 2/4 a very long step… 1 s'],
  ])('bar at step %d of %d', (step, expected, text, elapsed, width, line) => {
    expect(progressLine(step, expected, text, elapsed, width)).toBe(line);
  });

  it('writes plain lines when stderr is not a terminal, nothing when quiet', () => {
    const written: string[] = [];
    let now = 1_000;
    const progress = createProgress({ write: (t) => written.push(t), isTTY: false }, { expectedSteps: 3, quiet: false, now: () => now });
    progress.step('first');
    now += 2_400;
    progress.step('second');
    progress.done();
    expect(written).toEqual(['headroom: first (0 s)\n', 'headroom: second (2 s)\n']);
    const silent: string[] = [];
    const quiet = createProgress({ write: (t) => silent.push(t), isTTY: true }, { expectedSteps: 3, quiet: true });
    quiet.step('x');
    quiet.done();
    expect(silent).toEqual([]);
  });

  it('updates one line on a terminal and clears it when done', () => {
    const written: string[] = [];
    const progress = createProgress({ write: (t) => written.push(t), isTTY: true, columns: 80 }, { expectedSteps: 2, quiet: false, now: () => 0 });
    progress.step('first');
    progress.step('second');
    progress.done();
    expect(written).toEqual(['\r\x1b[K[....................] 1/2 first 0 s', '\r\x1b[K[##########..........] 2/2 second 0 s', '\r\x1b[K']);
  });
});

describe('docs/report.schema.json', () => {
  it('is what the zod schema of the report generates (run `npm run --silent cli -- schema > docs/report.schema.json` when this fails)', () => {
    expect(readFileSync(`${REPO_ROOT}docs/report.schema.json`, 'utf8')).toBe(reportJsonSchemaText());
  });

  it('accepts a report, and a report with fields added later, and refuses a broken one', () => {
    const validate = new Ajv2020({ strict: true }).compile(JSON.parse(reportJsonSchemaText()) as Record<string, unknown>);
    expect(validate(sampleReport()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...sampleReport(), addedLater: { x: 1 } })).toBe(true);
    const broken = sampleReport();
    broken.services = broken.services.map((service) => ({ ...service, errorRatio: 1.5 }));
    expect(validate(broken)).toBe(false);
    expect(validate({ ...sampleReport(), schemaVersion: 2 })).toBe(false);
    const { findings: _, ...withoutFindings } = sampleReport();
    expect(validate(withoutFindings)).toBe(false);
  });
});
