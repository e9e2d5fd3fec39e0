import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { GroundTruth, ServiceTruth } from './musiccorp/ground-truth';

/**
 * The lab proves itself: what PromQL returns from the lab's real Prometheus (and VictoriaMetrics)
 * agrees with what the generator knows to be true. If these fail, every later number is suspect.
 */
const lab = inject('lab');
let truth: GroundTruth;

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function instant(base: string, query: string, time: number): Promise<VectorSample[]> {
  const body = new URLSearchParams({ query, time: String(time) });
  const response = await fetch(`${base}/api/v1/query`, { method: 'POST', body });
  const json = (await response.json()) as { status: string; error?: string; data: { resultType: string; result: VectorSample[] } };
  if (json.status !== 'success') throw new Error(`${query}: ${json.error}`);
  return json.data.result;
}

async function scalar(base: string, query: string, time: number): Promise<number> {
  const result = await instant(base, query, time);
  expect(result, `${query} returned ${result.length} series`).toHaveLength(1);
  return Number(result[0]?.value[1]);
}

/** How each lab service's HTTP histogram is selected: by instrumentation and scrape labels. */
function histogramOf(s: ServiceTruth): { bucket: string; count: string; selector: string; errors: string } {
  switch (s.instrumentation) {
    case 'promhttp':
      return { bucket: 'http_request_duration_seconds_bucket', count: 'http_request_duration_seconds_count', selector: `namespace="${s.namespace}",job="${s.name}"`, errors: 'code=~"5.."' };
    case 'spring':
      return { bucket: 'http_server_requests_seconds_bucket', count: 'http_server_requests_seconds_count', selector: `namespace="${s.namespace}",application="${s.name}"`, errors: 'outcome="SERVER_ERROR"' };
    case 'otel-scrape':
      return { bucket: 'http_server_request_duration_seconds_bucket', count: 'http_server_request_duration_seconds_count', selector: `namespace="${s.namespace}",job="${s.name}"`, errors: 'http_response_status_code=~"5.."' };
    case 'otel-otlp':
      return { bucket: 'http_server_request_duration_seconds_bucket', count: 'http_server_request_duration_seconds_count', selector: `job="${s.namespace}/${s.name}"`, errors: 'http_response_status_code=~"5.."' };
    default:
      throw new Error(`unknown instrumentation ${s.instrumentation}`);
  }
}

beforeAll(async () => {
  truth = JSON.parse(await readFile(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
});

describe('the lab Prometheus agrees with the generator', () => {
  const end = (): number => truth.window.end;

  it('serves every service the ground truth names, with a p99 in the bucket the true p99 falls in', async () => {
    expect(truth.services.length).toBeGreaterThanOrEqual(10);
    for (const s of truth.services) {
      const h = histogramOf(s);
      const p99 = await scalar(lab.prometheusUrl, `histogram_quantile(0.99, sum by (le) (increase(${h.bucket}{${h.selector}}[7d])))`, end());
      const [low, high] = s.p99Bucket;
      expect(p99, `${s.namespace}/${s.name} p99 ${p99} vs true ${s.p99} in (${low}, ${high}]`).toBeGreaterThan(low);
      if (high !== null) expect(p99).toBeLessThanOrEqual(high);
    }
  });

  it('counts the requests and errors the generator sent', async () => {
    for (const s of truth.services) {
      const h = histogramOf(s);
      const requests = await scalar(lab.prometheusUrl, `sum(increase(${h.count}{${h.selector}}[7d]))`, end());
      // increase() extrapolates to the window edges and counters are whole numbers: allow 1 %.
      expect(requests / s.requests, `${s.namespace}/${s.name} requests`).toBeCloseTo(1, 1);
      if (s.errorRatio > 0.0001) {
        const ratio = await scalar(lab.prometheusUrl, `sum(increase(${h.count}{${h.selector},${h.errors}}[7d])) / sum(increase(${h.count}{${h.selector}}[7d]))`, end());
        expect(Math.abs(ratio - s.errorRatio) / s.errorRatio, `${s.namespace}/${s.name} error ratio ${ratio} vs ${s.errorRatio}`).toBeLessThan(0.05);
      }
    }
  });

  it('shows the payment outage as a fast burn over the last hour', async () => {
    const payment = truth.services.find((s) => s.name === 'payment');
    expect(payment?.errorRatios['1h']).toBeGreaterThan(0.05);
    const h = histogramOf(payment as ServiceTruth);
    const ratio = await scalar(lab.prometheusUrl, `sum(rate(${h.count}{${h.selector},${h.errors}}[1h])) / sum(rate(${h.count}{${h.selector}}[1h]))`, end());
    expect(ratio).toBeCloseTo(payment?.errorRatios['1h'] as number, 2);
  });

  it('has the hot partition lag exactly where the generator left it', async () => {
    const topic = truth.kafka.find((t) => t.topic === 'order.placed');
    const lags = topic?.lagAtEnd.shipping ?? [];
    expect(lags).toHaveLength(6);
    const result = await instant(lab.prometheusUrl, 'kafka_consumergroup_lag{consumergroup="shipping",topic="order.placed"}', end());
    const byPartition = new Map(result.map((r) => [Number(r.metric.partition), Number(r.value[1])]));
    lags.forEach((lag, partition) => expect(byPartition.get(partition), `partition ${partition}`).toBe(lag));
    const hottest = lags.indexOf(Math.max(...lags));
    expect(hottest).toBe(topic?.hotPartition);
    expect(Math.max(...lags)).toBeGreaterThan(50 * Math.max(...lags.filter((_, p) => p !== hottest)));
  });

  it('records every OOM kill as a restart with reason OOMKilled', async () => {
    expect(truth.oomKills.length).toBeGreaterThan(0);
    for (const kill of truth.oomKills) {
      const selector = `namespace="${kill.namespace}",pod="${kill.pod}",container="${kill.container}"`;
      expect(await scalar(lab.prometheusUrl, `kube_pod_container_status_restarts_total{${selector}}`, end())).toBe(kill.total);
      expect(await scalar(lab.prometheusUrl, `kube_pod_container_status_last_terminated_reason{${selector},reason="OOMKilled"}`, end())).toBe(1);
      const inWindow = await scalar(lab.prometheusUrl, `max_over_time(kube_pod_container_status_restarts_total{${selector}}[7d]) - min_over_time(kube_pod_container_status_restarts_total{${selector}}[7d])`, end());
      expect(Math.abs(inWindow - kill.inWindow)).toBeLessThanOrEqual(1);
    }
  });

  it('keeps HPAs at max for as long as the generator did', async () => {
    for (const h of truth.hpas) {
      const minutes = await scalar(
        lab.prometheusUrl,
        `sum_over_time((kube_horizontalpodautoscaler_status_current_replicas{namespace="${h.namespace}",horizontalpodautoscaler="${h.name}"} >= bool on(namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas)[7d:1m])`,
        end(),
      );
      expect(Math.abs(minutes - h.minutesAtMaxInWindow), `${h.namespace}/${h.name}`).toBeLessThanOrEqual(5);
    }
  });
});

describe('the lab looks like real exporters output', () => {
  const end = (): number => truth.window.end;

  it('has the cAdvisor pod-level rows without a container label, which double count when summed', async () => {
    const all = await scalar(lab.prometheusUrl, 'sum(container_memory_working_set_bytes{namespace="checkout"})', end());
    const containers = await scalar(lab.prometheusUrl, 'sum(container_memory_working_set_bytes{namespace="checkout",container!="",container!="POD"})', end());
    expect(all / containers).toBeGreaterThan(1.9);
    expect(all / containers).toBeLessThan(2.1);
  });

  it('scrapes every 60 s, at per-target offsets', async () => {
    const counts = await instant(lab.prometheusUrl, 'count_over_time(kube_node_info[1h])', end());
    for (const c of counts) expect(Number(c.value[1])).toBe(60);
    const phase = async (metric: string): Promise<number> => scalar(lab.prometheusUrl, `timestamp(${metric}) % 60`, end());
    const [postgres, kafka] = await Promise.all([phase('pg_up'), phase('kafka_brokers')]);
    expect(Math.abs(postgres - kafka)).toBeGreaterThan(0.5);
  });

  it('labels kube-state-metrics series with the target container, as honor_labels leaves them', async () => {
    const owners = await instant(lab.prometheusUrl, 'count by (container) (kube_pod_owner)', end());
    expect(owners.map((o) => o.metric.container)).toEqual(['kube-state-metrics']);
  });

  it('exposes each HTTP instrumentation with its own names and labels', async () => {
    const families: Array<[string, string]> = [
      ['http_request_duration_seconds_bucket{le="0.25"}', 'promhttp: le written like Go'],
      ['http_server_requests_seconds_bucket{le="1.0"}', 'Micrometer: le written like Java'],
      ['http_server_request_duration_seconds_bucket{http_route!=""}', 'OpenTelemetry'],
      ['target_info{k8s_pod_name!=""}', 'OTLP resource attributes'],
      ['promhttp_metric_handler_requests_total', 'scrapes of /metrics'],
    ];
    for (const [selector, what] of families) {
      expect((await instant(lab.prometheusUrl, `count(${selector})`, end())).length, what).toBe(1);
    }
  });

  it('lets pods come and go as replicas change', async () => {
    const pods = await scalar(lab.prometheusUrl, 'count(count by (pod) (last_over_time(kube_pod_owner{namespace="storefront",owner_name=~"frontend-.*"}[7d])))', end());
    expect(pods).toBeGreaterThan(20);
  });
});

describe('VictoriaMetrics holds the same data', () => {
  const end = (): number => truth.window.end;

  it('answers the same instant queries', async () => {
    for (const query of ['sum(kafka_consumergroup_lag{consumergroup="shipping"})', 'sum(kube_pod_container_status_restarts_total{namespace="media"})', 'count(kube_pod_owner)']) {
      const [p, v] = await Promise.all([scalar(lab.prometheusUrl, query, end()), scalar(lab.victoriaMetricsUrl, query, end())]);
      expect(v, query).toBe(p);
    }
  });

  it('puts each service p99 in the same bucket', async () => {
    for (const s of truth.services) {
      const h = histogramOf(s);
      const query = `histogram_quantile(0.99, sum by (le) (increase(${h.bucket}{${h.selector}}[7d])))`;
      const v = await scalar(lab.victoriaMetricsUrl, query, end());
      const [low, high] = s.p99Bucket;
      expect(v, `${s.namespace}/${s.name}`).toBeGreaterThan(low);
      if (high !== null) expect(v).toBeLessThanOrEqual(high);
    }
  });
});

describe('the lab writes its fleet as Kubernetes manifests', () => {
  it('has Deployments, StatefulSets, a DaemonSet, HPAs and PDBs in git form, and Pods and Nodes in cluster form', async () => {
    const kinds = async (dir: string): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const file of await readdir(dir)) {
        for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
          expect(doc.errors, file).toEqual([]);
          const kind = (doc.toJS() as { kind: string }).kind;
          out.set(kind, (out.get(kind) ?? 0) + 1);
        }
      }
      return out;
    };
    const git = await kinds(lab.build.manifestsDir);
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']) {
      expect(git.get(kind), kind).toBeGreaterThan(0);
    }
    expect(git.get('Pod')).toBeUndefined();
    const live = await kinds(lab.build.clusterDir);
    for (const kind of ['Pod', 'Node', 'ReplicaSet']) expect(live.get(kind), kind).toBeGreaterThan(0);
  });
});
