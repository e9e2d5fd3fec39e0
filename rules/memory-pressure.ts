import type { AnalysisContext, ContainerFacts, WorkloadFacts } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import { bytes, evidence, maxOf, minutesAtOrAbove, percent, seconds, span, values, workloadTarget } from './lib/signals';

/**
 * Memory is not compressible: a container whose working set reaches its limit is OOM-killed by the
 * kernel, losing its in-flight work. This rule reports containers that were OOM-killed in the window
 * (critical) and containers whose working set sat near the limit (warning) before that happens.
 */

/** Working set ÷ limit that counts as near the limit: RES-MEM-NEAR-LIMIT's 90 %. */
export const NEAR_LIMIT = 0.9;
/** How long it must stay there to count, so a start-up spike does not: the mixin's `for: 15m`. */
export const NEAR_LIMIT_MINUTES = 15;
/**
 * An OOM kill whose last sample reached this share of the limit is the container's own doing
 * (Robusta's pod_oom_killer_enricher uses 92 %); below it, the peak came between scrapes or the node
 * ran out of memory and the kernel chose this container.
 */
export const OWN_LIMIT_SHARE = 0.92;

interface Pressured {
  facts: ContainerFacts;
  limit: number | null;
  peakShare: number | null;
}

/** The memory limit in force: kube-state-metrics first, else the cluster's or the manifests' pod template. */
function memoryLimit(w: WorkloadFacts, c: ContainerFacts): number | null {
  return c.limits.memory ?? w.spec?.containers.find((s) => s.name === c.name)?.limits.memory ?? null;
}

/** Pods running on average: the replicas timeline, else the spec, else the pods seen. */
function averagePods(w: WorkloadFacts): number {
  const running = values(w.timeline.replicas);
  if (running.length > 0) return Math.max(1, running.reduce((a, b) => a + b, 0) / running.length);
  return Math.max(1, w.spec?.replicas ?? w.podsSeen);
}

function oomSentence(p: Pressured, w: WorkloadFacts, windowSeconds: number): string {
  const kills = p.facts.oomKills;
  const every = seconds((windowSeconds * averagePods(w)) / kills);
  const head = `OOMKilled ${kills} time${kills === 1 ? '' : 's'} in ${span(windowSeconds)} (about once every ${every} per pod)`;
  if (p.limit === null) {
    return `${head} without a memory limit: the node ran out of memory and the kernel chose it; its largest sample was ${bytes(p.facts.memoryMax)}`;
  }
  const seen = `largest sample ${bytes(p.facts.memoryMax)} of its ${bytes(p.limit)} limit (${percent(p.peakShare)})`;
  const invisible = 'the true peak of a killed container is invisible: its last sample sits below the limit the kernel enforced';
  if (p.peakShare !== null && p.peakShare < OWN_LIMIT_SHARE) {
    return `${head}; ${seen}, so either the peak came between two scrapes or the node ran out of memory and the kernel chose this container; ${invisible}`;
  }
  return `${head}; ${seen}; ${invisible}`;
}

function evaluateWorkload(context: AnalysisContext, w: WorkloadFacts, oomKnown: boolean, out: RuleResult): void {
  const target = workloadTarget(w);
  const label = `${w.key.namespace}/${w.key.workload}`;
  const ratio = w.timeline.memoryLimitRatio;
  const minutesNear = minutesAtOrAbove(ratio, NEAR_LIMIT);
  const pressured: Pressured[] = [];
  for (const c of w.containers) {
    const limit = memoryLimit(w, c);
    const peakShare = limit !== null && c.memoryMax !== null && limit > 0 ? c.memoryMax / limit : null;
    const oom = oomKnown && c.oomKills > 0;
    // The timeline is the worst container of the worst pod; without it, the raw-sample peak decides alone.
    const near = peakShare !== null && peakShare >= NEAR_LIMIT && (ratio === null || minutesNear >= NEAR_LIMIT_MINUTES);
    if (oom || near) pressured.push({ facts: c, limit, peakShare });
  }
  if (pressured.length === 0) return;

  const windowSeconds = context.window.end - context.window.start;
  pressured.sort((a, b) => b.facts.oomKills - a.facts.oomKills || (b.peakShare ?? 0) - (a.peakShare ?? 0));
  const worst = pressured[0] as Pressured;
  const c = worst.facts;
  const killed = oomKnown && c.oomKills > 0;
  const lead = killed
    ? oomSentence(worst, w, windowSeconds)
    : `working set reached ${bytes(c.memoryMax)} of its ${bytes(worst.limit)} limit (${percent(worst.peakShare)})` +
      (ratio === null ? ' (how long it stayed there is unknown: no working set ÷ limit timeline)' : ` and stayed at ≥ ${percent(NEAR_LIMIT)} of it for ${span(minutesNear * 60)}`) +
      '; the next peak above the limit is an OOM kill';
  const others = pressured.slice(1).map((p) => `${p.facts.name} (${p.facts.oomKills > 0 ? `${p.facts.oomKills} OOM kills` : `peak ${percent(p.peakShare)} of its limit`})`);
  const summary = `Container ${c.name} of ${label}: ${lead}.${others.length > 0 ? ` Also: ${others.join(', ')}.` : ''}`;

  const grow = worst.limit === null
    ? `Set a memory request of at least the observed peak (${bytes(c.memoryMax)}) so the scheduler reserves it, and a limit above it; check the node's memory.`
    : killed
      ? `Raise the memory limit of ${c.name} above the ${bytes(worst.limit)} it was killed at (VPA's OOM bump: at least +20 % or +100 MiB) and the request with it.`
      : `Raise the memory limit of ${c.name} to at least the peak plus 15 % (${bytes((c.memoryMax ?? 0) * 1.15)}) and the request with it.`;
  const finding: RuleFinding = {
    severity: killed ? 'critical' : 'warning',
    target,
    summary,
    symptomatic: killed,
    evidence: [
      evidence(`OOM kills (${c.name})`, c.queries.restarts, oomKnown ? c.oomKills : null, 'count'),
      evidence(`restarts (${c.name})`, c.queries.restarts, c.restarts, 'count'),
      evidence(`working set peak, every raw sample (${c.name})`, c.queries.memory, c.memoryMax, 'bytes'),
      evidence(`memory limit (${c.name})`, c.queries.memory, worst.limit, 'bytes'),
      ...(ratio ? [evidence('largest working set ÷ memory limit among its pods', ratio.query, maxOf(ratio), 'ratio', ratio)] : []),
    ],
    remediation:
      `${grow} If memory climbs steadily between restarts (see the working set chart), a leak is likelier than a small limit: more memory only spaces the kills out, so profile the heap. ` +
      'For garbage-collected runtimes (JVM, Go with GOMEMLIMIT, Node) keep the heap ceiling below the container limit. The resources recommendation for this container has the numbers.',
    recommendation: { kind: 'resources', target, container: c.name },
  };
  out.findings.push(finding);
}

export const memoryPressure: RuleModule = {
  meta: {
    id: 'memory-pressure',
    title: 'Memory near its limit, or OOM-killed',
    defaultSeverity: 'warning',
    category: 'resources',
    requires: ['container-memory'],
    description: 'A container was OOM-killed in the window, or its working set stayed at 90 % of its memory limit or more.',
    docs: 'docs/rules/memory-pressure.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    const oomKnown = !context.missing.has('oom-kills');
    if (!oomKnown) {
      const why = context.catalog.features.find((f) => f.feature === 'oom-kills')?.missing ?? 'OOM kill metrics are missing';
      out.notEvaluated.push({ target: null, missing: [`OOM kills (only working set near the limit was judged): ${why}`] });
    }
    for (const w of context.workloads) evaluateWorkload(context, w, oomKnown, out);
    return out;
  },
};
