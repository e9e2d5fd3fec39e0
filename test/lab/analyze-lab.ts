import { readFile } from 'node:fs/promises';
import { analyze } from '../../core/analysis/analyze';
import { readManifestFolder } from '../../core/kubernetes/manifests';
import { PrometheusClient } from '../../core/prometheus/client';
import { ALL_RULES } from '../../rules/index';
import type { GroundTruth } from './musiccorp/ground-truth';
import { startLab } from './servers';

/**
 * For developers: starts the lab, analyses the last seven days with every rule and the git
 * manifests, prints findings next to the ground truth, and stops. `npx tsx test/lab/analyze-lab.ts [rule-id …]`
 */
const only = new Set(process.argv.slice(2));
const lab = await startLab();
try {
  const truth = JSON.parse(await readFile(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
  const client = new PrometheusClient({ url: lab.prometheusUrl });
  const rules = only.size > 0 ? ALL_RULES.filter((r) => only.has(r.meta.id)) : ALL_RULES;
  const started = Date.now();
  const analysis = await analyze(client, { window: truth.window, fleet: readManifestFolder(lab.build.manifestsDir), rules });
  console.log(`analysed in ${((Date.now() - started) / 1000).toFixed(1)} s with ${client.stats.requests} requests`);
  const key = (rule: string, t: { namespace: string; kind: string; name: string }): string => `${rule} ${t.namespace}/${t.kind}/${t.name}`;
  const expected = new Set(truth.expected.filter((e) => rules.some((r) => r.meta.id === e.rule)).map((e) => key(e.rule, e.target)));
  for (const f of analysis.report.findings) {
    const k = key(f.rule, f.target);
    const control = truth.controls.some((c) => c.rules.includes(f.rule) && c.target.namespace === f.target.namespace && c.target.kind === f.target.kind && c.target.name === f.target.name);
    console.log(`${expected.has(k) ? 'EXPECTED ' : control ? 'CONTROL! ' : 'extra    '} ${f.severity.padEnd(8)} ${k}\n           ${f.summary}`);
    expected.delete(k);
  }
  for (const k of expected) console.log(`MISSED    ${k}`);
  for (const n of analysis.report.notEvaluated ?? []) console.log(`not evaluated: ${n.rule} ${n.target ? `${n.target.namespace}/${n.target.name}` : ''}: ${n.missing.join('; ')}`);
} finally {
  await lab.stop();
}
