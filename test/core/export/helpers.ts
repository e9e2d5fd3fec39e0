import { join } from 'node:path';
import { ManifestError } from '../../../core/export/errors';

/** The manifest folder the export tests read: a Deployment with a sidecar, a StatefulSet with an HPA, a DaemonSet. */
export const MANIFESTS = join(import.meta.dirname, 'fixtures', 'manifests');

/** The ManifestError `build` throws; fails the test when it throws nothing or something else. */
export function rejection(build: () => unknown): ManifestError {
  try {
    build();
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected a ManifestError, nothing was thrown');
}
