import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount, type VariantFleet } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { ingressNginxFleet, type IngressScrape } from './ingress-nginx';

/**
 * ingress-nginx scraped without honor_labels, in both common set-ups: the backend's namespace (and with a
 * ServiceMonitor, its Service) arrive as exported_* labels, while `namespace`/`service` name the
 * controller. One store also holds a second controller that reports status classes ("5xx").
 */
const scrapes: IngressScrape[] = ['pod-annotations', 'service-monitor'];
const fleets = Object.fromEntries(scrapes.map((s) => [s, ingressNginxFleet(s)])) as Record<IngressScrape, VariantFleet>;
const runs = {} as Record<IngressScrape, VariantRun>;

beforeAll(async () => {
  await Promise.all(
    scrapes.map(async (s) => {
      const [run] = await analyzeAll(await startStores(fleets[s].series, ['prometheus']));
      if (run) runs[s] = run;
    }),
  );
}, 60_000);
afterAll(() => stopAll(Object.values(runs)));

/** The backend's Service: `service` under pod annotations, `exported_service` under a ServiceMonitor. */
const serviceLabel = (s: IngressScrape): string => (s === 'pod-annotations' ? 'service' : 'exported_service');

describe.each(scrapes)('ingress-nginx scraped by %s', (scrape) => {
  it('stays within the sample budget', () => {
    expect(sampleCount(fleets[scrape].series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it('is detected by its labels: status, exported_namespace, the backend service as identity', () => {
    const { catalog } = runs[scrape].analysis;
    expect(catalog.http.map((h) => h.family.id)).toEqual(['ingress-nginx']);
    const [nginx] = catalog.http;
    expect(nginx?.status?.label).toBe('status');
    expect(nginx?.family.identity).toBe('ingress-service');
    expect(nginx?.family.toSeconds).toBe(1);
    expect(nginx?.labels).toEqual(expect.arrayContaining(['exported_namespace', serviceLabel(scrape)]));
  });

  it('names each backend by its own namespace and Service, never the controller, and leaves unrouted requests out', async () => {
    // The default server's requests are in the store, without a backend.
    expect(await runs[scrape].value(`sum(nginx_ingress_controller_requests{host="_",${serviceLabel(scrape)}=""})`)).toBeGreaterThan(0);
    const names = runs[scrape].analysis.report.services.map((s) => `${s.namespace}/${s.kind}/${s.name}`).sort();
    expect(names).toEqual(fleets[scrape].services.map((s) => `${s.namespace}/Service/${s.name}`).sort());
  });

  it('has the rate of the bare nginx_ingress_controller_requests counter, its 5xx ratio and the p99 PromQL gives', async () => {
    const run = runs[scrape];
    for (const truth of fleets[scrape].services) {
      const sel = `exported_namespace="${truth.namespace}",${serviceLabel(scrape)}="${truth.name}"`;
      await expectRedMatches(
        run,
        serviceOf(run.analysis, truth.namespace, truth.name),
        { requests: `nginx_ingress_controller_requests{${sel}}`, errors: 'status=~"5..|5xx"', buckets: `nginx_ingress_controller_request_duration_seconds_bucket{${sel}}`, toSeconds: 1 },
        truth,
      );
    }
  });

  it('writes a valid report without NaN or Infinity', () => {
    const { report } = runs[scrape].analysis;
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(nonFiniteNumbers(report)).toEqual([]);
  });
});

describe('ingress-nginx with --report-status-classes', () => {
  it('counts status="5xx" as server errors, added to the codes of the other controller', async () => {
    const run = runs['pod-annotations'];
    // backoffice/admin is served only by the controller that reports classes.
    const admin = serviceOf(run.analysis, 'backoffice', 'admin');
    expect(await run.value('count(nginx_ingress_controller_requests{exported_namespace="backoffice",status="5xx"})')).toBeGreaterThan(0);
    expect(await run.value('count(nginx_ingress_controller_requests{exported_namespace="backoffice",status=~"[0-9]+"})')).toBeNull();
    expect(admin.errorRatio).toBeGreaterThan(0.01);
    // shop/storefront is served by both: "503" from one controller and "5xx" from the other.
    const storefront = fleets['pod-annotations'].services.find((s) => s.name === 'storefront');
    expect(serviceOf(run.analysis, 'shop', 'storefront').errorRatio).toBeCloseTo((storefront?.errors ?? 0) / (storefront?.requests ?? 1), 12);
  });
});
