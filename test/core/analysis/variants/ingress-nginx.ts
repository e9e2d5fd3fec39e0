/**
 * kubernetes/ingress-nginx controller v1.11 metrics (internal/ingress/metric/collectors/socket.go):
 * `nginx_ingress_controller_request_duration_seconds_{bucket,count,sum}` (Go DefBuckets) and the
 * counter `nginx_ingress_controller_requests` — registered without a `_total` suffix, so the classic
 * text format shows it bare. Labels: `controller_class`, `controller_namespace`, `controller_pod`,
 * `host`, `ingress`, `method`, `namespace` (the Ingress'), `path`, `service` (the backend Service),
 * `status` — or `1xx`…`5xx` when the controller runs with `--report-status-classes`.
 *
 * Neither way people scrape it sets honor_labels, so Prometheus renames the metric's labels that
 * collide with target labels to `exported_<name>`:
 *  - `pod-annotations`: the `kubernetes-pods` job of the prometheus-community/prometheus chart adds
 *    `namespace` and `pod` of the controller; the Ingress' namespace becomes `exported_namespace`.
 *  - `service-monitor`: kube-prometheus-stack's ServiceMonitor (the chart's
 *    `controller.metrics.serviceMonitor.enabled`) also adds `service` (the metrics Service), so the
 *    backend Service becomes `exported_service` as well.
 */
import { Random } from '../../../lab/model/random';
import { arrivals, CumulativeCounter, CumulativeHistogram, DATA_START, generatedPodName, logNormal, pickByShare, quantileBucket, replicaSetName, TIMES, windowTotals, type Labels, type VariantFleet } from './fleet';

export type IngressScrape = 'pod-annotations' | 'service-monitor';

/** client_golang's prometheus.DefBuckets, which the controller uses for request time. */
const DEF_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'];

interface Backend {
  namespace: string;
  service: string;
  ingress: string;
  host: string;
  path: string;
  rps: number;
  /** HTTP status codes and their shares; the rest answer 200. */
  codes: Array<{ code: string; share: number }>;
  median: number;
}

interface Controller {
  controllerClass: string;
  /** `--report-status-classes`: `status` is `2xx`, `5xx`… instead of the code. */
  statusClasses: boolean;
  replicas: number;
  backends: Backend[];
}

const STOREFRONT: Backend = { namespace: 'shop', service: 'storefront', ingress: 'storefront', host: 'shop.example.com', path: '/', rps: 14, codes: [{ code: '404', share: 0.02 }, { code: '503', share: 0.006 }], median: 0.06 };
const CHECKOUT: Backend = { namespace: 'shop', service: 'checkout', ingress: 'checkout', host: 'shop.example.com', path: '/checkout', rps: 3, codes: [{ code: '500', share: 0.015 }], median: 0.25 };
/**
 * Requests nginx could not route (no Ingress matched, the default server answered): the controller
 * records them with empty `namespace`, `ingress` and `service`, which the store keeps as absent labels.
 */
const UNROUTED: Backend = { namespace: '', service: '', ingress: '', host: '_', path: '', rps: 0.5, codes: [], median: 0.002 };
const ADMIN: Backend = { namespace: 'backoffice', service: 'admin', ingress: 'admin', host: 'admin.internal', path: '/', rps: 2, codes: [{ code: '502', share: 0.03 }], median: 0.12 };

/** Two controllers in one store: the public one reports codes, the internal one status classes. */
const POD_ANNOTATION_CONTROLLERS: Controller[] = [
  { controllerClass: 'k8s.io/ingress-nginx', statusClasses: false, replicas: 2, backends: [STOREFRONT, CHECKOUT, UNROUTED] },
  { controllerClass: 'k8s.io/internal-nginx', statusClasses: true, replicas: 1, backends: [ADMIN, { ...STOREFRONT, host: 'shop.internal', rps: 3 }] },
];
const SERVICE_MONITOR_CONTROLLERS: Controller[] = [{ controllerClass: 'k8s.io/ingress-nginx', statusClasses: false, replicas: 2, backends: [STOREFRONT, CHECKOUT, UNROUTED] }];

const statusOf = (code: string, classes: boolean): string => (classes ? `${code[0]}xx` : code);

export function ingressNginxFleet(scrape: IngressScrape, seed = `ingress-nginx/${scrape}`): VariantFleet {
  const random = new Random(seed);
  const entries: Array<{ backend: Backend; status: string; h: CumulativeHistogram; requests: CumulativeCounter }> = [];
  const byKey = new Map<string, (typeof entries)[number]>();
  const controllers = scrape === 'pod-annotations' ? POD_ANNOTATION_CONTROLLERS : SERVICE_MONITOR_CONTROLLERS;
  controllers.forEach((controller, c) => {
    const deployment = controller.statusClasses ? 'internal-nginx-controller' : 'ingress-nginx-controller';
    const rs = replicaSetName(random, deployment);
    for (let p = 0; p < controller.replicas; p++) {
      const pod = generatedPodName(random, rs);
      const target: Labels =
        scrape === 'pod-annotations'
          ? { namespace: 'ingress-nginx', pod, instance: `10.7.${c}.${p + 10}:10254`, job: 'kubernetes-pods', app_kubernetes_io_name: 'ingress-nginx', app_kubernetes_io_component: 'controller' }
          : { namespace: 'ingress-nginx', pod, instance: `10.7.${c}.${p + 10}:10254`, job: `${deployment}-metrics`, service: `${deployment}-metrics`, endpoint: 'metrics', container: 'controller' };
      const backendKey = scrape === 'pod-annotations' ? 'service' : 'exported_service';
      for (const backend of controller.backends) {
        const statuses = [...new Set([backend === UNROUTED ? '404' : '200', ...backend.codes.map((x) => x.code)].map((code) => statusOf(code, controller.statusClasses)))];
        for (const status of statuses) {
          const labels: Labels = {
            ...target,
            controller_class: controller.controllerClass,
            controller_namespace: 'ingress-nginx',
            controller_pod: pod,
            host: backend.host,
            ingress: backend.ingress,
            method: 'GET',
            exported_namespace: backend.namespace,
            path: backend.path,
            [backendKey]: backend.service,
            status,
          };
          const entry = { backend, status, h: new CumulativeHistogram('nginx_ingress_controller_request_duration_seconds', labels, DEF_BUCKETS), requests: new CumulativeCounter({ __name__: 'nginx_ingress_controller_requests', ...labels }) };
          entries.push(entry);
          byKey.set(`${c}/${p}/${backend.service}/${backend.host}/${status}`, entry);
        }
      }
    }
  });

  for (const time of TIMES) {
    if (time > DATA_START) {
      controllers.forEach((controller, c) => {
        for (const backend of controller.backends) {
          for (let n = arrivals(random, backend.rps); n > 0; n--) {
            const code = pickByShare(random, backend.codes.map((x) => ({ value: x.code, share: x.share })), backend === UNROUTED ? '404' : '200');
            const entry = byKey.get(`${c}/${random.int(0, controller.replicas - 1)}/${backend.service}/${backend.host}/${statusOf(code, controller.statusClasses)}`);
            entry?.h.observe(logNormal(random, backend.median, 0.8));
            entry?.requests.add(1);
          }
        }
      });
    }
    for (const e of entries) {
      e.h.scrape(time);
      e.requests.scrape(time);
    }
  }

  const backends = [...new Map(controllers.flatMap((c) => c.backends.filter((b) => b !== UNROUTED)).map((b) => [`${b.namespace}/${b.service}`, b])).values()];
  return {
    series: entries.flatMap((e) => [...e.h.series(), e.requests.series()]),
    services: backends.map((b) => {
      const served = entries.filter((e) => e.backend.namespace === b.namespace && e.backend.service === b.service);
      return {
        namespace: b.namespace,
        name: b.service,
        kind: 'Service',
        ...windowTotals(served.map((e) => e.h), (labels) => /^5/.test(labels.status ?? '')),
        p99Bucket: quantileBucket(0.99, served.map((e) => e.h)),
      };
    }),
  };
}
