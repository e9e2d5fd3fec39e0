import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ResourcesPatchInput, applyResourcesPatch, resourcesPatch } from '../../../core/export/resources';
import { validateKubernetesObject } from '../../../core/export/validate';
import { toYaml } from '../../../core/export/yaml';
import { MANIFESTS, rejection } from './helpers';

const Gi = 1024 ** 3;

const input: ResourcesPatchInput = {
  target: { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
  containers: [
    { name: 'app', requests: { cpu: 0.35, memory: 1.5 * Gi }, limits: { cpu: null, memory: 2 * Gi } },
    { name: 'envoy', sidecar: true, requests: { cpu: 0.1 } },
  ],
};

/** The Deployment of the fixture folder, as its team wrote it. */
function checkoutDeployment(): IDeployment {
  const text = readFileSync(join(MANIFESTS, 'shop', 'checkout.yaml'), 'utf8');
  return parseAllDocuments(text)
    .map((document) => document.toJS() as IDeployment)
    .find((object) => object.kind === 'Deployment') as IDeployment;
}

describe('resourcesPatch', () => {
  it('writes a strategic merge patch: containers by name, sidecars under initContainers, null removes (golden)', () => {
    expect(toYaml([resourcesPatch(input)])).toMatchInlineSnapshot(`
      "apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: checkout
        namespace: shop
      spec:
        template:
          spec:
            containers:
              - name: app
                resources:
                  limits:
                    cpu: null
                    memory: 2Gi
                  requests:
                    cpu: 350m
                    memory: 1536Mi
            initContainers:
              - name: envoy
                resources:
                  requests:
                    cpu: 100m
      "
    `);
  });

  it('writes "remove the limit" as an explicit null, not as a missing key', () => {
    const patch = resourcesPatch({
      target: input.target,
      containers: [{ name: 'app', limits: { cpu: null, memory: null } }],
    });
    const [container] = patch.spec.template.spec.containers ?? [];
    expect(container?.resources).toEqual({ limits: { cpu: null, memory: null } });
    expect(toYaml([patch])).toContain('cpu: null\n');
    // Read back, the null is still there for kustomize or kubectl to act on.
    const reread = parseAllDocuments(toYaml([patch]))[0]?.toJS() as typeof patch;
    expect(reread.spec.template.spec.containers?.[0]?.resources?.limits).toEqual({ cpu: null, memory: null });
  });

  it('refuses a request above the limit set in the same patch', () => {
    const error = rejection(() =>
      resourcesPatch({ target: input.target, containers: [{ name: 'app', requests: { cpu: 2 }, limits: { cpu: 1 } }] }),
    );
    expect(error.field).toBe('containers[0].resources.requests.cpu');
    expect(error.value).toBe('2');
  });

  it('refuses a patch that changes nothing, a container listed twice, bad names and non-finite values', () => {
    expect(rejection(() => resourcesPatch({ target: input.target, containers: [] })).field).toBe('containers');
    expect(rejection(() => resourcesPatch({ target: input.target, containers: [{ name: 'app' }] })).field).toBe(
      'containers[0]',
    );
    const twice = rejection(() =>
      resourcesPatch({
        target: input.target,
        containers: [
          { name: 'app', requests: { cpu: 1 } },
          { name: 'app', requests: { memory: Gi } },
        ],
      }),
    );
    expect(twice.field).toBe('containers[1].name');
    const badNames = rejection(() =>
      resourcesPatch({
        target: { namespace: 'Shop', kind: 'Deployment', name: '../checkout' },
        containers: [{ name: 'App', requests: { cpu: 1 } }],
      }),
    );
    expect(badNames.issues.map((issue) => issue.field)).toEqual(['target.name', 'target.namespace', 'containers[0].name']);
    const notFinite = rejection(() =>
      resourcesPatch({ target: input.target, containers: [{ name: 'app', requests: { memory: Number.NaN } }] }),
    );
    expect(notFinite.field).toBe('containers[0].requests.memory');
  });
});

describe('applyResourcesPatch', () => {
  it('sets and removes exactly the proposed values and leaves everything else alone', () => {
    const current = checkoutDeployment();
    const patched = applyResourcesPatch(current, resourcesPatch(input));
    const podSpec = patched.spec?.template.spec;
    expect(podSpec?.containers.find((c) => c.name === 'app')?.resources).toEqual({
      // cpu limit removed; ephemeral-storage, which the patch does not mention, kept.
      requests: { cpu: '350m', memory: '1536Mi', 'ephemeral-storage': '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '2Gi' },
    });
    expect(podSpec?.containers.find((c) => c.name === 'log-shipper')).toEqual(
      current.spec?.template.spec?.containers.find((c) => c.name === 'log-shipper'),
    );
    expect(podSpec?.initContainers?.find((c) => c.name === 'envoy')?.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
    });
    expect(podSpec?.initContainers?.find((c) => c.name === 'migrate')?.resources).toEqual({ requests: { cpu: '100m' } });
    // The input is not modified, and the result is still a valid Deployment.
    expect(current.spec?.template.spec?.containers[0]?.resources?.limits).toHaveProperty('cpu', '2');
    expect(() => new Deployment(patched).validate()).not.toThrow();
  });

  it('drops a requests map that the patch empties', () => {
    const patched = applyResourcesPatch(
      checkoutDeployment(),
      resourcesPatch({ target: input.target, containers: [{ name: 'envoy', sidecar: true, requests: { cpu: null, memory: null } }] }),
    );
    expect(patched.spec?.template.spec?.initContainers?.find((c) => c.name === 'envoy')).not.toHaveProperty('resources.requests');
  });

  it('refuses to patch a container the workload does not have (a strategic merge would add one without an image)', () => {
    const error = rejection(() =>
      applyResourcesPatch(
        checkoutDeployment(),
        resourcesPatch({ target: input.target, containers: [{ name: 'app-v2', requests: { cpu: 1 } }] }),
      ),
    );
    expect(error.field).toBe('spec.template.spec.containers');
    expect(error.value).toBe('app-v2');
  });

  it('leaves the request-within-limit rule to validation of the patched object, as the API server applies it', () => {
    const patched = applyResourcesPatch(
      checkoutDeployment(),
      resourcesPatch({ target: input.target, containers: [{ name: 'app', requests: { memory: 4 * Gi } }] }),
    );
    const error = rejection(() => validateKubernetesObject(patched));
    expect(error.field).toBe('spec.template.spec.containers[0].resources.requests.memory');
    expect(error.value).toBe('4Gi');
    expect(error.message).toContain('memory limit (3Gi)');
  });
});
