import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Report } from '../../core/api/report';
import { K8sEmulator } from '../k8s-emulator/emulator';
import { temporaryFolder } from '../k8s-emulator/helpers';
import type { GroundTruth, TargetRef } from '../lab/musiccorp/ground-truth';
import { REPO_ROOT, runCli, type CliRun } from './run-cli';

/**
 * The real CLI against the lab's Prometheus (and VictoriaMetrics): `analyze --format json` is exactly the report, valid against
 * docs/report.schema.json (checked by ajv, independent of the zod schema that produced it) and true to the
 * lab's known facts; `--at` in both forms, `--namespace`, `--fail-on`, silences from `--store`; `recommend`
 * writes parseable manifests, a kustomize overlay with `--patches`; `backtest` compares the strategies.
 * Each run is a whole analysis; they go one after the other, as concurrent week-long analyses overload the
 * lab Prometheus on a small machine (its own query timeout ends them).
 */
const lab = inject('lab');
let truth: GroundTruth;
let end: number;
const RUN_MS = 400_000;
const same = (a: TargetRef, b: TargetRef): boolean => a.namespace === b.namespace && a.kind === b.kind && a.name === b.name;

const schema = JSON.parse(readFileSync(`${REPO_ROOT}docs/report.schema.json`, 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
/** The same schema with every object closed: the report holds no field the schema does not describe. */
const validateClosed = new Ajv2020({ allErrors: true, strict: true }).compile(closed(schema) as Record<string, unknown>);

function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== 'object' || node === null) return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closed(value)]));
  return 'properties' in copy ? { ...copy, additionalProperties: false } : copy;
}

function reportOf(run: CliRun): Report {
  expect(run.stdout.trimStart().startsWith('{'), run.stderr).toBe(true);
  const report = JSON.parse(run.stdout) as Report;
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  expect(validateClosed(report), JSON.stringify(validateClosed.errors)).toBe(true);
  return report;
}

function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.ya?ml$/.test(path) && statSync(join(dir, path)).isFile())
    .sort();
}

function documents(path: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    expect(document.errors, path).toEqual([]);
    return document.toJS() as Record<string, unknown>;
  });
}

const prometheus = (): string[] => ['--prometheus', lab.prometheusUrl];

beforeAll(() => {
  truth = JSON.parse(readFileSync(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
  end = truth.window.end;
});

describe('headroom CLI on the lab', () => {
  it('analyze --format json: the report contract, true to the lab, with silences from --store', { timeout: RUN_MS }, async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'headroom-cli-store-')), 'headroom.db');
    const added = await runCli(['silences', 'add', 'missing-pdb', '--target', 'fulfilment/Deployment/shipping', '--reason', 'replaced next sprint', '--expires', '30d', '--store', store]);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^silence 1: missing-pdb on fulfilment\/Deployment\/shipping until .* UTC: replaced next sprint\n$/);

    const run = await runCli(['analyze', ...prometheus(), '--manifests', lab.build.manifestsDir, '--at', String(end), '--format', 'json', '--store', store], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    const report = reportOf(run);
    expect(report.window).toEqual(truth.window);
    // Progress went to stderr, the report alone to stdout.
    expect(run.stderr).toMatch(/^headroom: reading manifests in /);

    for (const s of truth.services) {
      const service = report.services.find((candidate) => candidate.namespace === s.namespace && candidate.name === s.name);
      expect(service, `${s.namespace}/${s.name}`).toBeDefined();
      expect(service?.latency.p99Bucket, `${s.namespace}/${s.name} p99 bucket`).toEqual(s.p99Bucket);
      expect(Math.abs((service?.rps ?? 0) / s.rps - 1), `${s.namespace}/${s.name} rps`).toBeLessThan(0.03);
    }
    const payment = report.services.find((s) => s.namespace === 'checkout' && s.name === 'payment');
    expect(payment?.slo.alert).toBe('page');

    const missed = truth.expected.filter((e) => !report.findings.some((f) => f.rule === e.rule && same(f.target, e.target)));
    expect(missed.map((e) => `${e.rule} ${e.target.namespace}/${e.target.kind}/${e.target.name}`)).toEqual([]);
    expect(truth.expected).toHaveLength(15);

    const silenced = report.findings.find((f) => f.rule === 'missing-pdb' && f.target.name === 'shipping');
    expect(silenced?.silenced?.reason).toBe('replaced next sprint');
    expect(report.findings.filter((f) => f.silenced)).toHaveLength(1);
  });

  it('analyze on VictoriaMetrics: the same contract and the same injected findings from another PromQL store', { timeout: RUN_MS }, async () => {
    const run = await runCli(['analyze', '--prometheus', lab.victoriaMetricsUrl, '--manifests', lab.build.manifestsDir, '--at', String(end), '--format', 'json', '-q'], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    const report = reportOf(run);
    expect(report.window).toEqual(truth.window);
    const missed = truth.expected.filter((e) => !report.findings.some((f) => f.rule === e.rule && same(f.target, e.target)));
    expect(missed.map((e) => `${e.rule} ${e.target.namespace}/${e.target.kind}/${e.target.name}`)).toEqual([]);
    expect(report.services.find((s) => s.namespace === 'checkout' && s.name === 'payment')?.slo.alert).toBe('page');
  });

  it('analyze --at RFC 3339 --window 1d --namespace, metrics alone: the day before then, one namespace, --fail-on warning exits 3', { timeout: RUN_MS }, async () => {
    const at = new Date(end * 1000).toISOString().replace('.000Z', 'Z');
    expect(at).toBe('2026-11-12T18:00:00Z');
    const run = await runCli(['analyze', ...prometheus(), '--at', at, '--window', '1d', '--namespace', 'checkout', '--format', 'json', '--fail-on', 'warning'], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(3);
    const report = reportOf(run);
    expect(report.window).toEqual({ start: end - 86_400, end });
    expect(report.services.map((s) => s.name).sort()).toEqual(['order', 'payment']);
    expect(report.services.every((s) => s.namespace === 'checkout')).toBe(true);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.target.namespace === 'checkout')).toBe(true);
    expect(report.findings.find((f) => f.rule === 'slo-burn' && f.target.name === 'payment')?.severity).toBe('critical');
    // The database behind order's pool lives in `data`: still weighed, though only checkout is reported.
    expect(report.findings.find((f) => f.rule === 'hpa-amplifies-db')?.target).toEqual({ namespace: 'checkout', kind: 'HorizontalPodAutoscaler', name: 'order' });
    expect((report.recommendations.find((r) => r.kind === 'hpa' && r.target.name === 'order')?.rationale ?? []).join(' ')).toMatch(/capped at \d+: PostgreSQL data\/postgres accepts/);
  });

  it('analyze --format markdown: a PR comment led by the paging service\'s finding', { timeout: RUN_MS }, async () => {
    const run = await runCli(['analyze', ...prometheus(), '--at', String(end), '--window', '1d', '--namespace', 'checkout', '--format', 'markdown', '-q'], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^## Headroom: [1-9]\d* critical, \d+ warning, \d+ info\n/);
    expect(run.stdout).toMatch(/\| \*\*critical\*\* \| `slo-burn` \| checkout\/Deployment\/payment \|/);
    expect(run.stdout).toMatch(/\| checkout\/payment \| [\d.]+\/s \| [\d.]+% \| [\d.]+ ms \| .* \| PAGE: burn 5m \d+× 1h \d+×/);
  });

  it('recommend --out: SUMMARY.md and one valid manifest file per workload, full objects from --manifests', { timeout: RUN_MS }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'headroom-cli-out-')), 'recommendations');
    const run = await runCli(['recommend', ...prometheus(), '--manifests', lab.build.manifestsDir, '--at', String(end), '--out', out], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Wrote \d+ files to /);
    const files = yamlFilesIn(out);
    expect(files.length).toBeGreaterThan(10);
    expect(run.stdout).toContain(`Wrote ${files.length + 1} files`);
    const kinds = new Set<string>();
    for (const file of files) {
      expect(file).toMatch(/^[a-z0-9-]+\/(deployment|statefulset|daemonset)-[a-z0-9-]+\.yaml$/);
      for (const object of documents(join(out, file))) kinds.add(String(object.kind));
    }
    expect([...kinds].sort()).toEqual(['DaemonSet', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'StatefulSet']);
    // The manifest folder gave the current objects: the workload is written whole, with its new requests.
    const [reporting] = documents(join(out, 'analytics/deployment-reporting.yaml')) as Array<{ spec: { selector: unknown; template: { spec: { containers: Array<{ resources: { requests: { cpu: string } } }> } } } }>;
    expect(reporting?.spec.selector).toBeDefined();
    expect(reporting?.spec.template.spec.containers[0]?.resources.requests.cpu).toMatch(/^\d+m$/);

    const summary = readFileSync(join(out, 'SUMMARY.md'), 'utf8');
    expect(summary).toMatch(/^# Headroom recommendations\n/);
    expect(summary).toMatch(/\| CPU \(cores\) \| [\d.,]+ \| [\d.,]+ \| [\d.,]+ \|/);
    expect(summary).toContain('### analytics/Deployment/reporting');
    expect(summary).toContain('answers warning `overprovisioned` on analytics/Deployment/reporting');
    expect(summary).toMatch(/```diff\n--- analytics\.yaml\tDeployment analytics\/reporting, line \d+\n/);
  });

  it('recommend --patches --namespace: a kustomize overlay of that namespace whose every patch and resource is there and parses', { timeout: RUN_MS }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'headroom-cli-overlay-'));
    const run = await runCli(['recommend', ...prometheus(), '--manifests', lab.build.manifestsDir, '--at', String(end), '--window', '1d', '--namespace', 'storefront', '--out', out, '--patches', '--base', '../base', '--format', 'json', '-q'], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    const written = JSON.parse(run.stdout) as { directory: string; files: string[]; savings: { cpuCores: { saved: number } } };
    expect(written.files[0]).toBe('SUMMARY.md');
    expect(written.files).toContain('kustomization.yaml');
    const [kustomization] = documents(join(out, 'kustomization.yaml')) as Array<{ kind: string; resources: string[]; patches: Array<{ path: string; target: { kind: string; namespace: string } }> }>;
    expect(kustomization?.kind).toBe('Kustomization');
    expect(kustomization?.resources[0]).toBe('../base');
    for (const path of [...(kustomization?.resources.slice(1) ?? []), ...(kustomization?.patches ?? []).map((p) => p.path)]) {
      expect(existsSync(join(out, path)), path).toBe(true);
      documents(join(out, path));
    }
    // --namespace keeps to storefront, though the manifest folder holds every namespace.
    expect(kustomization?.patches.every((p) => p.target.namespace === 'storefront')).toBe(true);
    expect(kustomization?.resources.slice(1).every((path) => path.startsWith('resources/storefront/'))).toBe(true);
    // inventory's PDB selects nothing (a selector typo): the overlay replaces it rather than add a second.
    expect(kustomization?.patches.map((p) => p.path)).toContain('patches/storefront/pdb-inventory.yaml');
    expect(yamlFilesIn(out).map((file) => relative(out, join(out, file))).sort()).toEqual(written.files.filter((f) => f.endsWith('.yaml')).sort());
  });

  it('recommend --keda --patches: KEDA ScaledObjects as new resources in the overlay, the HPAs they replace named for deletion', { timeout: RUN_MS }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'headroom-cli-keda-'));
    const serverAddress = 'http://prometheus-operated.monitoring.svc:9090';
    const run = await runCli(['recommend', ...prometheus(), '--manifests', lab.build.manifestsDir, '--at', String(end), '--window', '1d', '--namespace', 'checkout', '--keda', serverAddress, '--out', out, '--patches', '-q'], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    const [kustomization] = documents(join(out, 'kustomization.yaml')) as Array<{ resources: string[] }>;
    expect(kustomization?.resources).toContain('resources/checkout/scaledobject-order.yaml');
    const [order] = documents(join(out, 'resources/checkout/scaledobject-order.yaml')) as Array<{ kind: string; spec: { scaleTargetRef: { name: string }; triggers: Array<{ type: string; metadata: { serverAddress: string; query: string } }> } }>;
    expect(order?.kind).toBe('ScaledObject');
    expect(order?.spec.scaleTargetRef.name).toBe('order');
    expect(order?.spec.triggers[0]?.metadata).toMatchObject({ serverAddress, query: expect.stringMatching(/^sum\(rate\(http_server_requests_seconds_count\{namespace="checkout",pod=~"order-/) });
    // order's CPU HPA stays in the fleet until deleted: KEDA's own HPA would fight it.
    expect(readFileSync(join(out, 'SUMMARY.md'), 'utf8')).toMatch(/delete the HPA checkout\/order when applying this ScaledObject/);
    expect(readFileSync(join(out, 'resources/checkout/scaledobject-order.yaml'), 'utf8')).toMatch(/^# Delete HPA order when applying this ScaledObject/);
  });

  it('analyze and recommend --kubeconfig: the objects from a cluster (the API emulator serving the lab fleet), read-only', { timeout: RUN_MS }, async () => {
    const k8s = await K8sEmulator.start({ folders: [lab.build.clusterDir] });
    try {
      const kubeconfig = k8s.writeKubeconfig(join(temporaryFolder('headroom-cli-kube-'), 'config')).path;
      const args = [...prometheus(), '--kubeconfig', kubeconfig, '--at', String(end), '--window', '1d', '--namespace', 'fulfilment'];
      const analyzed = await runCli(['analyze', ...args, '--format', 'json'], { timeoutMs: RUN_MS });
      expect(analyzed.status, analyzed.stderr).toBe(0);
      expect(analyzed.stderr).toMatch(/^headroom: reading workloads from context /);
      const report = reportOf(analyzed);
      expect(report.findings.find((f) => f.rule === 'missing-pdb' && f.target.name === 'shipping')).toBeDefined();

      const out = join(temporaryFolder('headroom-cli-kube-out-'), 'out');
      const recommended = await runCli(['recommend', ...args, '--out', out, '-q'], { timeoutMs: RUN_MS });
      expect(recommended.status, recommended.stderr).toBe(0);
      const summary = readFileSync(join(out, 'SUMMARY.md'), 'utf8');
      // The cluster gave the current spec: the change is shown as a diff against it.
      expect(summary).toMatch(/```diff\n--- Deployment fulfilment\/shipping\tcurrent\n\+\+\+ Deployment fulfilment\/shipping\tproposed\n/);
      expect(summary).toContain('answers warning `missing-pdb` on fulfilment/Deployment/shipping');
      for (const file of yamlFilesIn(out)) documents(join(out, file));
      expect(k8s.writeRequests()).toEqual([]);
    } finally {
      await k8s.close();
    }
  });

  it('backtest --fit 4d --test 3d: the three strategies side by side; the default one would have killed nothing', { timeout: RUN_MS }, async () => {
    const run = await runCli(['backtest', ...prometheus(), '--at', String(end), '--fit', '4d', '--test', '3d'], { timeoutMs: RUN_MS });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Backtest, fitted on 2026-11-05 18:00 UTC → 2026-11-09 18:00 UTC (4 days), replayed on 2026-11-09 18:00 UTC → 2026-11-12 18:00 UTC (3 days)');
    expect(lines[2]).toMatch(/^STRATEGY +MEMORY MIN ABOVE LIMIT +OOM-KILLED +CPU MIN ABOVE REQUEST +CPU MIN ABOVE LIMIT +CORES SAVED +GIB SAVED +SAVED \/ MONTH$/);
    const rows = Object.fromEntries(lines.slice(3, 6).map((line) => [line.split(/\s+/)[0], line.split(/\s{2,}/)]));
    expect(Object.keys(rows).sort()).toEqual(['headroom', 'krr-simple', 'vpa-like']);
    expect(rows.headroom?.slice(1, 3)).toEqual(['0', '0']);
    expect(Number(rows.headroom?.[5])).toBeGreaterThan(2);
    expect(rows.headroom?.[7]).toMatch(/^[\d,]+\.\d\d USD$/);
  });
});
