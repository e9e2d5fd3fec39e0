/**
 * Recommendations as files to review and commit: a kustomize overlay, or one YAML file per workload.
 * Every object written has been validated (see `proposals.ts` and `validate.ts`); paths are built from
 * names the validation has checked as DNS names, so they cannot leave the output folder.
 */
import type { Recommendation } from '../api/report';
import type { FleetSnapshot } from '../kubernetes/model';
import { ManifestError } from './errors';
import { proposalsByWorkload } from './proposals';
import { applyResourcesPatch } from './resources';
import { isRecord, validateKubernetesObject } from './validate';
import { toYaml } from './yaml';

export interface ExportFile {
  /** Relative, with forward slashes. */
  path: string;
  content: string;
}

export interface KustomizeOptions {
  /**
   * What `resources:` lists before the new HPAs and PDBs: the folders or kustomizations holding the current
   * workloads, relative to the overlay. The patches change objects defined there.
   */
  bases?: readonly string[];
  /**
   * The workloads' current manifests, when the caller has them: they give the exact container order, which
   * the patches repeat so that kustomize keeps it (see `resources.ts`).
   */
  currentObjects?: readonly unknown[];
}

const KUSTOMIZATION_FILE = 'kustomization.yaml';

/**
 * A kustomize overlay: one strategic merge patch per workload (its containers matched by name), the new
 * HPAs and PDBs as resources (or as patches replacing the workload's current ones), and `kustomization.yaml`.
 * Patches are listed under `patches:` with a `target` (kustomize v5's field; `patchesStrategicMerge` is
 * deprecated), so each applies to exactly its object.
 */
export function kustomizePatches(
  recommendations: readonly Recommendation[],
  fleet: FleetSnapshot | null,
  options: KustomizeOptions = {},
): ExportFile[] {
  const files: ExportFile[] = [];
  const patches: Array<{ path: string; target: Record<string, string> }> = [];
  const resources: string[] = [];
  for (const proposal of proposalsByWorkload(recommendations, fleet, options.currentObjects)) {
    const { target } = proposal;
    if (proposal.patch) {
      const path = `patches/${target.namespace}/${target.kind.toLowerCase()}-${target.name}.yaml`;
      files.push({ path, content: comment(proposal.orderWarning) + toYaml([proposal.patch]) });
      patches.push({
        path,
        target: { group: 'apps', version: 'v1', kind: target.kind, namespace: target.namespace, name: target.name },
      });
    }
    for (const { object, replaces, warning } of proposal.objects) {
      const name = object.metadata?.name ?? target.name;
      const path = `${replaces ? 'patches' : 'resources'}/${target.namespace}/${shortKind(object.kind)}-${name}.yaml`;
      if (files.some((file) => file.path === path)) {
        throw new ManifestError(`${object.kind} ${target.namespace}/${name}`, [
          { field: 'metadata.name', value: name, message: 'is proposed twice' },
        ]);
      }
      if (replaces) {
        // `$patch: replace` swaps the whole spec, so nothing of the old metrics or selector lingers; the
        // annotations still merge, so the object keeps the user's own.
        const [group = '', version = ''] = object.apiVersion.split('/');
        files.push({ path, content: toYaml([{ ...object, spec: { $patch: 'replace', ...object.spec } }]) });
        patches.push({ path, target: { group, version, kind: object.kind, namespace: target.namespace, name } });
      } else {
        files.push({ path, content: comment(warning) + toYaml([object]) });
        resources.push(path);
      }
    }
  }
  const bases = options.bases ?? [];
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...(bases.length + resources.length > 0 && { resources: [...bases, ...resources] }),
    ...(patches.length > 0 && { patches }),
  };
  // Without a base the patches have nothing to patch; saying so in the file is clearer than failing later.
  const hint = comment(
    bases.length === 0 && patches.length > 0
      ? 'Add the folder or kustomization with the current workloads to resources: ' +
          'the patches change objects defined there.'
      : null,
  );
  files.push({ path: KUSTOMIZATION_FILE, content: hint + toYaml([kustomization]) });
  return files;
}

/**
 * One file per workload, `<namespace>/<kind>-<name>.yaml`: the full workload with its new resources when
 * `currentObjects` holds its current manifest (as read from a folder or `kubectl get -o yaml`), otherwise the
 * strategic merge patch; then its proposed HPA and PDB.
 */
export function perWorkloadFiles(
  recommendations: readonly Recommendation[],
  fleet: FleetSnapshot | null,
  currentObjects: readonly unknown[] = [],
): ExportFile[] {
  return proposalsByWorkload(recommendations, fleet, currentObjects).map((proposal) => {
    const { target } = proposal;
    const documents: unknown[] = [];
    let header = '';
    if (proposal.patch) {
      if (proposal.current) {
        const patched = applyResourcesPatch(proposal.current, proposal.patch);
        documents.push(validateKubernetesObject(withoutServerFields(patched)));
      } else {
        header = comment(
          `The current ${target.kind} was not available: this is a strategic merge patch ` +
            '(kubectl patch --type strategic --patch-file, or kustomize), not the full object.',
        );
        header += comment(proposal.orderWarning);
        documents.push(proposal.patch);
      }
    }
    for (const { object, warning } of proposal.objects) {
      header += comment(warning);
      documents.push(object);
    }
    return {
      path: `${target.namespace}/${target.kind.toLowerCase()}-${target.name}.yaml`,
      content: header + toYaml(documents),
    };
  });
}

/** A YAML comment line, or nothing. */
function comment(text: string | null): string {
  return text === null ? '' : `# ${text}\n`;
}

function shortKind(kind: string): string {
  return kind === 'HorizontalPodAutoscaler' ? 'hpa' : kind === 'PodDisruptionBudget' ? 'pdb' : kind.toLowerCase();
}

/** Fields the API server writes; left in, `kubectl apply` would fight over them or refuse a stale version. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

function withoutServerFields(object: Record<string, unknown>): Record<string, unknown> {
  const { status, ...rest } = object;
  if (!isRecord(rest.metadata)) return rest;
  const metadata = Object.fromEntries(Object.entries(rest.metadata).filter(([key]) => !SERVER_METADATA.includes(key)));
  if (isRecord(metadata.annotations)) {
    const annotations = Object.fromEntries(
      Object.entries(metadata.annotations).filter(([key]) => !SERVER_ANNOTATIONS.includes(key)),
    );
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}
