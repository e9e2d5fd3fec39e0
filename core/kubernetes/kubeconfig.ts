/**
 * Finding, loading and checking kubeconfig files. Loading and authentication are `@kubernetes/client-node`'s
 * (`KubeConfig.loadFromFile` resolves relative certificate paths against each file's folder, and its exec
 * authenticator runs credential plugins); this module decides which files to read, merges them the way
 * kubectl does, and turns every way a kubeconfig can be broken into a `KubernetesError` that says what is
 * wrong and what to do.
 *
 * Precedence, as kubectl and Headlamp: an explicit file, else `KUBECONFIG` (several files joined by the OS
 * path delimiter), else `~/.kube/config`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { KubernetesError } from './errors';

export interface KubeconfigOptions {
  /** An explicit kubeconfig file; wins over `KUBECONFIG` and `~/.kube/config`. */
  file?: string;
  /** Where `KUBECONFIG` is read from; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The home folder holding `.kube/config`; `os.homedir()` by default. */
  homeDir?: string;
}

export interface KubeconfigFiles {
  files: string[];
  from: 'explicit' | 'KUBECONFIG' | 'default';
  /** Files named in `KUBECONFIG` that do not exist; kubectl skips them, and so do we. */
  missing: string[];
}

export interface ContextSummary {
  name: string;
  cluster: string;
  user: string | null;
  namespace: string | null;
  /** The cluster's API server URL; null when the context names a cluster no file defines. */
  server: string | null;
  current: boolean;
}

export interface LoadedKubeconfig {
  files: string[];
  currentContext: string | null;
  contexts: ContextSummary[];
  /** Skipped files and duplicate names, one sentence each. */
  warnings: string[];
  /** The merged configuration; hand it to `selectContext`. */
  config: KubeConfig;
}

export interface SelectedContext {
  name: string;
  cluster: string;
  user: string | null;
  namespace: string | null;
  server: string;
  /** The kubeconfig files the context was read from, for messages. */
  files: string[];
  /** A client-node configuration whose current context is this one. */
  config: KubeConfig;
}

/** Which kubeconfig files to read, by kubectl's precedence. Throws when there is nothing to read. */
export function findKubeconfigFiles(options: KubeconfigOptions = {}): KubeconfigFiles {
  if (options.file !== undefined) {
    if (!existsSync(options.file)) {
      throw new KubernetesError(
        'kubeconfig-not-found',
        `The kubeconfig file ${options.file} does not exist: check the path, or leave it empty to use KUBECONFIG or ~/.kube/config.`,
      );
    }
    return { files: [options.file], from: 'explicit', missing: [] };
  }
  const variable = (options.env ?? process.env).KUBECONFIG ?? '';
  const listed = variable.split(delimiter).filter((file) => file.length > 0);
  if (listed.length > 0) {
    const files = listed.filter((file) => existsSync(file));
    const missing = listed.filter((file) => !existsSync(file));
    if (files.length === 0) {
      throw new KubernetesError(
        'kubeconfig-not-found',
        `None of the files in KUBECONFIG exist (${listed.join(', ')}): fix KUBECONFIG, or unset it to use ~/.kube/config.`,
      );
    }
    return { files, from: 'KUBECONFIG', missing };
  }
  const fallback = join(options.homeDir ?? homedir(), '.kube', 'config');
  if (!existsSync(fallback)) {
    throw new KubernetesError(
      'kubeconfig-not-found',
      `No kubeconfig found: KUBECONFIG is not set and ${fallback} does not exist. Choose a kubeconfig file, or analyse a folder of manifests instead.`,
    );
  }
  return { files: [fallback], from: 'default', missing: [] };
}

/**
 * Loads and merges the kubeconfig files. Merging follows kubectl: the first file that sets
 * `current-context` wins, and the first definition of a context, cluster or user name wins (client-node's
 * own merge throws on duplicates instead, which would refuse setups kubectl accepts).
 */
export function loadKubeconfig(options: KubeconfigOptions = {}): LoadedKubeconfig {
  const { files, missing } = findKubeconfigFiles(options);
  const warnings = missing.map((file) => `KUBECONFIG names ${file}, which does not exist; it is skipped.`);
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: undefined });
  const definedIn = new Map<string, string>();

  for (const file of files) {
    const part = loadFile(file);
    const keep = <T extends { name: string }>(entries: T[], what: string): T[] =>
      entries.filter((entry) => {
        const key = `${what} "${entry.name}"`;
        const first = definedIn.get(key);
        if (first === undefined) {
          definedIn.set(key, file);
          return true;
        }
        warnings.push(`The ${key} is defined in both ${first} and ${file}; the one in ${first} is used, as kubectl does.`);
        return false;
      });
    const filtered = new KubeConfig();
    filtered.loadFromOptions({
      clusters: keep(part.getClusters(), 'cluster'),
      users: keep(part.getUsers(), 'user'),
      contexts: keep(part.getContexts(), 'context'),
      currentContext: part.getCurrentContext() || undefined,
    });
    merged.mergeConfig(filtered, Boolean(merged.getCurrentContext()));
  }

  const current = merged.getCurrentContext() || null;
  return {
    files,
    currentContext: current,
    contexts: merged.getContexts().map((context) => summarise(merged, context, current)),
    warnings,
    config: merged,
  };
}

/**
 * The context to connect with: `name`, or the current context. Checks what client-node would only trip over
 * at the first request (a cluster or user that is not defined, a certificate file that is not there, a plain
 * http server) and says how to fix it.
 */
export function selectContext(loaded: LoadedKubeconfig, name?: string): SelectedContext {
  const files = loaded.files.join(', ');
  const available = loaded.contexts.map((c) => c.name);
  const choice = name ?? loaded.currentContext;
  if (choice === null) {
    throw new KubernetesError(
      'context-not-found',
      available.length === 0
        ? `The kubeconfig (${files}) defines no contexts: add one with kubectl config set-context, or use another kubeconfig.`
        : `The kubeconfig (${files}) sets no current-context: choose one of its contexts (${available.join(', ')}).`,
    );
  }
  const context = loaded.config.getContextObject(choice);
  if (!context) {
    throw new KubernetesError(
      'context-not-found',
      `The kubeconfig (${files}) has no context named "${choice}"; it has ${
        available.length === 0 ? 'none' : available.join(', ')
      }. Choose one of those (kubectl config get-contexts lists them).`,
    );
  }
  const cluster = loaded.config.getCluster(context.cluster);
  if (!cluster) {
    throw new KubernetesError(
      'context-incomplete',
      `Context "${choice}" names cluster "${context.cluster}", which the kubeconfig (${files}) does not define: add that cluster, or point the context at one it defines.`,
    );
  }
  const user = context.user ? loaded.config.getUser(context.user) : null;
  if (context.user && !user) {
    throw new KubernetesError(
      'context-incomplete',
      `Context "${choice}" names user "${context.user}", which the kubeconfig (${files}) does not define: add that user, or point the context at one it defines.`,
    );
  }
  checkReferencedFiles(cluster, user);
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    // client-node refuses plain http unless TLS verification is explicitly off, even for `kubectl proxy`.
    throw new KubernetesError(
      'context-incomplete',
      `Cluster "${cluster.name}" uses plain http (${cluster.server}); the Kubernetes client accepts that only with insecure-skip-tls-verify: true on the cluster. Use the https address, or set that flag for a local proxy.`,
    );
  }

  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: loaded.config.getClusters(),
    users: loaded.config.getUsers(),
    contexts: loaded.config.getContexts(),
    currentContext: choice,
  });
  return {
    name: choice,
    cluster: cluster.name,
    user: context.user || null,
    namespace: context.namespace ?? null,
    server: cluster.server,
    files: loaded.files,
    config,
  };
}

function summarise(config: KubeConfig, context: Context, current: string | null): ContextSummary {
  return {
    name: context.name,
    cluster: context.cluster,
    user: context.user || null,
    namespace: context.namespace ?? null,
    server: config.getCluster(context.cluster)?.server ?? null,
    current: context.name === current,
  };
}

function loadFile(file: string): KubeConfig {
  if (statSync(file).isDirectory()) {
    throw new KubernetesError('kubeconfig-invalid', `${file} is a folder, not a kubeconfig file: choose the file inside it.`);
  }
  // js-yaml reads an empty file as null, and client-node then fails on `null.clusters`.
  if (readFileSync(file, 'utf8').trim() === '') {
    throw new KubernetesError('kubeconfig-invalid', `The kubeconfig file ${file} is empty: choose another file.`);
  }
  const config = new KubeConfig();
  try {
    config.loadFromFile(file);
  } catch (error) {
    throw new KubernetesError('kubeconfig-invalid', describeLoadError(file, error));
  }
  return config;
}

function describeLoadError(file: string, error: unknown): string {
  const fix = 'Fix the file (kubectl config view shows how kubectl reads it).';
  if (error instanceof Error && error.name === 'YAMLException') {
    const { reason, mark } = error as Error & { reason?: string; mark?: { line: number } };
    const where = mark ? ` at line ${mark.line + 1}` : '';
    return `The kubeconfig file ${file} is not valid YAML${where}: ${reason ?? error.message}. ${fix}`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const path = (error as NodeJS.ErrnoException | undefined)?.path;
  if (code === 'ENOENT' && path !== undefined) {
    // client-node reads a user's token-file while loading.
    return `The kubeconfig file ${file} names ${path}, which does not exist. ${fix}`;
  }
  if (code === 'EACCES') {
    return `Headroom may not read ${path ?? file} (permission denied): allow reading it, or choose another kubeconfig.`;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return `The kubeconfig file ${file} is not a valid kubeconfig: ${detail}. ${fix}`;
}

function checkReferencedFiles(cluster: Cluster, user: User | null): void {
  const references: Array<[string | undefined, string]> = [
    [cluster.caFile, `certificate-authority of cluster "${cluster.name}"`],
    [user?.certFile, `client-certificate of user "${user?.name}"`],
    [user?.keyFile, `client-key of user "${user?.name}"`],
  ];
  for (const [file, what] of references) {
    if (file && !existsSync(file)) {
      throw new KubernetesError(
        'context-incomplete',
        `The ${what} is ${file}, which does not exist (relative paths are read from the kubeconfig's folder): fix the path in the kubeconfig.`,
      );
    }
  }
}
