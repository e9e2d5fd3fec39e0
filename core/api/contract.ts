/**
 * The API every front end calls: the Electron preload bridge (`window.headroom`) and its IPC handlers,
 * the web-mode HTTP server (`POST /api/<method>`), and the CLI. Calls cross IPC or HTTP, so every
 * method takes at most one JSON-serialisable argument object and resolves to JSON-serialisable data.
 *
 * Adding a method: declare it on `HeadroomApi`, list it in `HEADROOM_API_METHODS` (the preload, the
 * IPC handlers and the web server are generated from that list) and implement it in `service.ts`.
 */

export type AppMode = 'electron' | 'web';

export interface VersionInfo {
  version: string;
  /** Which front end serves the UI: the desktop window, or the browser fallback of `npm start`. */
  mode: AppMode;
}

/** A Prometheus-compatible store, optionally paired with a cluster (kubeconfig context). */
export interface ConnectionSummary {
  id: string;
  name: string;
  prometheusUrl: string;
  kubeContext: string | null;
}

export interface HeadroomApi {
  version(): Promise<VersionInfo>;
  /**
   * Configured connections. Always empty for now: adding and storing connections is the next issue,
   * and until then nothing can create one.
   */
  listConnections(): Promise<ConnectionSummary[]>;
}

export const HEADROOM_API_METHODS = ['version', 'listConnections'] as const satisfies readonly (keyof HeadroomApi)[];

export type HeadroomMethod = (typeof HEADROOM_API_METHODS)[number];

/** Narrows a method name that arrived over IPC or HTTP. */
export function isHeadroomMethod(name: string): name is HeadroomMethod {
  return (HEADROOM_API_METHODS as readonly string[]).includes(name);
}
