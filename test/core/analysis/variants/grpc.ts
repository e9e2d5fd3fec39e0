/**
 * gRPC Go servers instrumented with grpc-ecosystem/go-grpc-prometheus v1.2.0 (the same names and labels
 * as go-grpc-middleware v2's providers/prometheus), scraped by a ServiceMonitor (`namespace`, `pod`,
 * `container`, `endpoint`, `service`, `job`).
 *
 *  - `grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}`: the only series with
 *    the status. `grpc_prometheus.Register(server)` pre-creates it for all 17 codes of every method.
 *  - `grpc_server_handling_seconds_{bucket,count,sum}{grpc_type, grpc_service, grpc_method}` — no
 *    `grpc_code` — and only after `EnableHandlingTimeHistogram()`, which is off by default.
 *  - `grpc_server_started_total`, `grpc_server_msg_received_total`, `grpc_server_msg_sent_total`.
 *
 * `accounts` enables the histogram; `audit` keeps the default and exports counters only.
 */
import { Random } from '../../../lab/model/random';
import { cellSeries, CumulativeCounter, CumulativeHistogram, deploymentPods, logNormal, ownerSeries, playTraffic, quantileBucket, windowTotals, type Cell, type Labels, type OwnedPod, type ServiceTruth, type VariantFleet } from './fleet';

/** google.golang.org/grpc/codes, in order, as codes.Code.String() writes them. */
export const GRPC_CODES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
/** The codes that mean the server failed; NotFound, InvalidArgument and the like are the caller's. */
export const GRPC_SERVER_ERRORS = ['Unknown', 'DeadlineExceeded', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss'];
const DEF_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'];

interface GrpcServer {
  name: string;
  replicas: number;
  service: string;
  methods: string[];
  rps: number;
  /** Codes other than OK and their shares. */
  codes: Array<{ code: string; share: number }>;
  median: number;
  histogram: boolean;
}

const NAMESPACE = 'core';

export const GRPC_SERVERS: GrpcServer[] = [
  {
    name: 'accounts',
    replicas: 3,
    service: 'accounts.v1.Accounts',
    methods: ['GetAccount', 'ListTransactions'],
    rps: 10,
    codes: [{ code: 'NotFound', share: 0.05 }, { code: 'Unavailable', share: 0.006 }, { code: 'DeadlineExceeded', share: 0.003 }],
    median: 0.012,
    histogram: true,
  },
  { name: 'audit', replicas: 2, service: 'audit.v1.AuditLog', methods: ['Append'], rps: 5, codes: [{ code: 'Internal', share: 0.01 }, { code: 'InvalidArgument', share: 0.02 }], median: 0.004, histogram: false },
];

export function grpcFleet(servers: readonly GrpcServer[] = GRPC_SERVERS, seed = 'grpc'): VariantFleet {
  const random = new Random(seed);
  const owned: OwnedPod[] = [];
  const played = servers.map((s) => {
    const pods = deploymentPods(random, NAMESPACE, s.name, s.replicas);
    owned.push(...pods);
    const outcomes = ['OK', ...s.codes.map((c) => c.code)];
    const cells: Cell[] = [];
    // Traffic goes to (pod × method) slots in equal shares: slot = pod × methods + method.
    pods.forEach((p, pod) => {
      const target: Labels = { namespace: NAMESPACE, pod: p.pod, container: s.name, endpoint: 'metrics', service: s.name, job: s.name, instance: `${p.pod}:9090` };
      s.methods.forEach((method, m) => {
        const slot = pod * s.methods.length + m;
        const rpc: Labels = { ...target, grpc_type: 'unary', grpc_service: s.service, grpc_method: method };
        // No grpc_code on the histogram: every outcome of the slot observes the same one.
        const histograms = s.histogram ? [new CumulativeHistogram('grpc_server_handling_seconds', rpc, DEF_BUCKETS)] : [];
        const everyRequest = ['grpc_server_started_total', 'grpc_server_msg_received_total', 'grpc_server_msg_sent_total'].map((name) => new CumulativeCounter({ __name__: name, ...rpc }));
        const handled = new Map(GRPC_CODES.map((code) => [code, new CumulativeCounter({ __name__: 'grpc_server_handled_total', ...rpc, grpc_code: code })]));
        outcomes.forEach((code, outcome) => cells.push({ pod: slot, outcome, histograms, counters: [handled.get(code) as CumulativeCounter, ...everyRequest] }));
        // Codes that never happen keep their pre-registered zero series (outcome -1 is never drawn).
        cells.push({ pod: slot, outcome: -1, histograms: [], counters: GRPC_CODES.filter((c) => !outcomes.includes(c)).map((c) => handled.get(c) as CumulativeCounter) });
      });
    });
    const traffic = { rps: s.rps, pods: s.replicas * s.methods.length, shares: s.codes.map((c) => c.share), latency: (r: Random, outcome: number) => logNormal(r, s.median * (outcome > 0 ? 3 : 1), 0.7), cells };
    return { server: s, cells, traffic };
  });
  playTraffic(random, played.map((p) => p.traffic));

  const services: ServiceTruth[] = played.map(({ server, cells }) => {
    const handled = [...new Set(cells.flatMap((c) => c.counters.filter((k) => k.labels.__name__ === 'grpc_server_handled_total')))];
    return {
      namespace: NAMESPACE,
      name: server.name,
      kind: 'Deployment',
      ...windowTotals(handled, (labels) => GRPC_SERVER_ERRORS.includes(labels.grpc_code ?? '')),
      p99Bucket: server.histogram ? quantileBucket(0.99, [...new Set(cells.flatMap((c) => c.histograms))]) : null,
    };
  });
  return { series: [...played.flatMap((p) => cellSeries(p.cells)), ...ownerSeries(owned)], services };
}
