import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { analyze, type Analysis } from '../../core/analysis/analyze';
import type { Finding, Severity } from '../../core/api/report';
import { readManifestFolder } from '../../core/kubernetes/manifests';
import { PrometheusClient } from '../../core/prometheus/client';
import { openStore } from '../../core/store/open';
import { ALL_RULES } from '../../rules/index';
import type { GroundTruth, TargetRef } from '../lab/musiccorp/ground-truth';

/**
 * Precision and recall on the lab: every bottleneck injected on purpose is found with the right rule
 * and target, at least as severe as it should be; the rules stay silent on the healthy controls; and
 * nothing else is raised above `info`.
 */
const lab = inject('lab');
let truth: GroundTruth;
let analysis: Analysis;

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const same = (a: TargetRef, b: TargetRef): boolean => a.namespace === b.namespace && a.kind === b.kind && a.name === b.name;
const describeFinding = (f: Finding): string => `${f.severity} ${f.rule} ${f.target.namespace}/${f.target.kind}/${f.target.name}: ${f.summary}`;

beforeAll(async () => {
  truth = JSON.parse(await readFile(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
  // Silences live in the store: one on a real finding, to show it stays visible, marked.
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'headroom-silences-')), 'headroom.db'), { clock: () => truth.window.end - 3600 });
  store.silences.add({ rule: 'missing-pdb', target: { namespace: 'fulfilment', kind: 'Deployment', name: 'shipping' }, reason: 'shipping is being replaced next sprint', expiresAt: truth.window.end + 7 * 86400 });
  analysis = await analyze(new PrometheusClient({ url: lab.prometheusUrl, timeoutMs: 180_000 }), {
    window: truth.window,
    fleet: readManifestFolder(lab.build.manifestsDir),
    rules: ALL_RULES,
    silences: store.silences.matcherAt(truth.window.end),
  });
  store.close();
});

describe('the rules on the lab', () => {
  it('find every injected bottleneck with the right rule, target and severity', () => {
    const missed: string[] = [];
    for (const e of truth.expected) {
      const found = analysis.report.findings.find((f) => f.rule === e.rule && same(f.target, e.target));
      if (!found) missed.push(`${e.rule} ${e.target.namespace}/${e.target.kind}/${e.target.name} (${e.why})`);
      else expect(RANK[found.severity], describeFinding(found)).toBeGreaterThanOrEqual(RANK[e.minSeverity]);
    }
    expect(missed).toEqual([]);
  });

  it('stay silent on the healthy controls', () => {
    const noisy = analysis.report.findings.filter((f) => truth.controls.some((c) => same(c.target, f.target) && c.rules.includes(f.rule)));
    expect(noisy.map(describeFinding)).toEqual([]);
  });

  it('raise nothing else above info', () => {
    const unexpected = analysis.report.findings.filter((f) => f.severity !== 'info' && !truth.expected.some((e) => e.rule === f.rule && same(e.target, f.target)));
    expect(unexpected.map(describeFinding)).toEqual([]);
  });

  it('give every finding its numbers, evidence with queries, and a remediation', () => {
    for (const f of analysis.report.findings) {
      expect(f.summary, f.rule).toMatch(/\d/);
      expect(f.evidence.length, describeFinding(f)).toBeGreaterThan(0);
      expect(f.evidence.some((e) => e.query.length > 0), describeFinding(f)).toBe(true);
      expect(f.remediation.length, f.rule).toBeGreaterThan(20);
      expect(f.docs, f.rule).toBe(`docs/rules/${f.rule}.md`);
    }
  });

  it('keeps silenced findings in the report, marked with the reason', () => {
    const silenced = analysis.report.findings.find((f) => f.rule === 'missing-pdb' && f.target.name === 'shipping');
    expect(silenced?.silenced?.reason).toBe('shipping is being replaced next sprint');
    const other = analysis.report.findings.find((f) => f.rule === 'missing-pdb' && f.target.name === 'inventory');
    expect(other?.silenced ?? null).toBeNull();
  });
});
