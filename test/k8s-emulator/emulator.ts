/**
 * A Kubernetes API server stand-in for tests: HTTPS on 127.0.0.1 (free port) serving a folder of YAML in the
 * real API's shapes, so that the real `@kubernetes/client-node` can be pointed at it through a kubeconfig.
 * It can be told to fail (401, 403, 404, 500, 503, hangs), records every request so that a test can prove
 * Headroom only read, and forwards the service proxy path to real upstreams (a loopback Prometheus).
 *
 * It runs inside the test process: its server is unref'd, so it ends with the process, and `close()` ends it
 * earlier. See README.md for how tests use it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import {
  BadRequestError,
  ObjectStore,
  RESOURCE_TYPES,
  groupVersionOf,
  type LoadSummary,
  type ResourceType,
  type StoredObject,
} from './store';

const HERE = import.meta.dirname;
const TLS_DIR = join(HERE, 'tls');
const EXEC_PLUGIN = join(HERE, 'exec-credential.mjs');

/** The Kubernetes version the emulator claims to be. */
const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.4',
  gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
  gitTreeState: 'clean',
  buildDate: '2024-12-10T11:38:46Z',
  goVersion: 'go1.22.10',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Paths the API server answers without authentication (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

const SERVICE_PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(?:\/(.*))?$/;

export interface EmulatorOptions {
  /** Folders of YAML to serve; `load()` adds more later. */
  folders?: string[];
  /** Accept requests without credentials as system:anonymous (a cluster with anonymous auth on). */
  anonymous?: boolean;
}

/** Which paths a fault applies to: a path prefix (on segment boundaries) or a pattern; omitted = every path. */
export type PathMatch = string | RegExp;

export type FaultStatus = 401 | 403 | 404 | 500 | 503;

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** `proxy` for the service proxy path (PromQL may be POSTed there), `api` for everything else. */
  kind: 'api' | 'proxy';
  /** The authenticated user; null when the request carried no (valid) credentials. */
  user: string | null;
  headers: { authorization?: string; accept?: string; contentType?: string; userAgent?: string };
  /** The status sent; null while the request is still in flight or hanging. */
  status: number | null;
  /** The request body, for proxy requests (PromQL form posts). */
  body?: string;
}

export interface KubeconfigWriteOptions {
  /** Prefix of the cluster, user and context names; "emulator" by default. */
  name?: string;
  /** Namespace set on every context. */
  namespace?: string;
  /** Token for the token user; the emulator's valid token by default. */
  token?: string;
  /** Make the exec plugin fail as an expired cloud login would. */
  execFails?: boolean;
}

export interface WrittenKubeconfig {
  path: string;
  /** Context names: one per user kind. `token` is the current context. */
  contexts: { token: string; exec: string; cert: string };
}

interface Fault {
  match?: PathMatch;
  remaining: number;
  status?: FaultStatus;
  message?: string;
  /** Milliseconds to hang before answering; Infinity never answers. */
  hangMs?: number;
}

interface Answer {
  status: number;
  body: unknown;
}

export class K8sEmulator {
  /** The bearer token of the token user. */
  readonly token = `reader-${randomBytes(12).toString('hex')}`;
  /** The token the exec plugin hands out. */
  readonly execToken = `exec-${randomBytes(12).toString('hex')}`;

  private readonly store = new ObjectStore();
  private readonly upstreams = new Map<string, string>();
  private readonly faults: Fault[] = [];
  private readonly log: RecordedRequest[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly users: ReadonlyMap<string, string>;
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly options: EmulatorOptions) {
    this.users = new Map([
      [this.token, 'headroom-reader'],
      [this.execToken, 'headroom-exec'],
    ]);
  }

  /** Starts an emulator serving `options.folders`. */
  static async start(options: EmulatorOptions = {}): Promise<K8sEmulator> {
    const emulator = new K8sEmulator(options);
    for (const folder of options.folders ?? []) emulator.load(folder);
    await emulator.listen();
    return emulator;
  }

  /** `https://127.0.0.1:<port>`. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** The CA that signed the server's certificate, for clients that do not go through a kubeconfig. */
  get caFile(): string {
    return join(TLS_DIR, 'ca.crt');
  }

  /** Adds (or replaces) the objects in a folder. Bumps the resourceVersion, so continue tokens expire. */
  load(folder: string): LoadSummary {
    return this.store.loadFolder(folder);
  }

  /** Where the service proxy forwards `/api/v1/namespaces/<ns>/services/<service>/proxy/…`. */
  setServiceUpstream(namespace: string, service: string, url: string): void {
    this.upstreams.set(`${namespace}/${service}`, url.replace(/\/$/, ''));
  }

  /** Answers matching requests with `status` (as a Kubernetes Status), `times` times or until cleared. */
  failWith(status: FaultStatus, options: { path?: PathMatch; times?: number; message?: string } = {}): void {
    this.faults.push({ match: options.path, remaining: options.times ?? Infinity, status, message: options.message });
  }

  /** Holds matching requests for `ms` before answering them normally; without `ms`, forever. */
  hang(options: { path?: PathMatch; ms?: number; times?: number } = {}): void {
    this.faults.push({ match: options.path, remaining: options.times ?? Infinity, hangMs: options.ms ?? Infinity });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Every request so far, in arrival order. */
  get requests(): RecordedRequest[] {
    return this.log.map((r) => ({ ...r, query: { ...r.query }, headers: { ...r.headers } }));
  }

  /** Requests that could change the cluster: anything but GET outside the service proxy. */
  writeRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.kind === 'api' && r.method !== 'GET');
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  /**
   * Writes a kubeconfig for this emulator, with the CA and client certificate beside it under relative
   * paths (as `kubectl config set-credentials --client-certificate=…` leaves them), and three users: a bearer
   * token, an exec credential plugin (a node script printing an ExecCredential), and an x509 client
   * certificate.
   */
  writeKubeconfig(path: string, options: KubeconfigWriteOptions = {}): WrittenKubeconfig {
    const name = options.name ?? 'emulator';
    const folder = dirname(path);
    copyFileSync(join(TLS_DIR, 'ca.crt'), join(folder, `${name}-ca.crt`));
    copyFileSync(join(TLS_DIR, 'client.crt'), join(folder, `${name}-client.crt`));
    copyFileSync(join(TLS_DIR, 'client.key'), join(folder, `${name}-client.key`));
    const contexts = { token: name, exec: `${name}-exec`, cert: `${name}-cert` };
    const context = (contextName: string, user: string): object => ({
      name: contextName,
      context: { cluster: name, user, ...(options.namespace ? { namespace: options.namespace } : {}) },
    });
    const execEnv = [{ name: 'EMULATOR_EXEC_TOKEN', value: this.execToken }];
    if (options.execFails) execEnv.push({ name: 'EMULATOR_EXEC_FAIL', value: '1' });
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': contexts.token,
      clusters: [{ name, cluster: { server: this.url, 'certificate-authority': `${name}-ca.crt` } }],
      users: [
        { name: `${name}-token`, user: { token: options.token ?? this.token } },
        {
          name: `${name}-exec`,
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: process.execPath,
              args: [EXEC_PLUGIN],
              env: execEnv,
              interactiveMode: 'Never',
            },
          },
        },
        {
          name: `${name}-cert`,
          user: { 'client-certificate': `${name}-client.crt`, 'client-key': `${name}-client.key` },
        },
      ],
      contexts: [
        context(contexts.token, `${name}-token`),
        context(contexts.exec, `${name}-exec`),
        context(contexts.cert, `${name}-cert`),
      ],
    };
    writeFileSync(path, stringify(kubeconfig));
    return { path, contexts };
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = createServer(
      {
        key: readFileSync(join(TLS_DIR, 'server.key')),
        cert: readFileSync(join(TLS_DIR, 'server.crt')),
        ca: readFileSync(join(TLS_DIR, 'ca.crt')),
        // Ask for a client certificate but let requests without one through, as kube-apiserver does.
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        this.handle(req, res).catch((error: unknown) => {
          if (!res.headersSent) this.send(res, internalError(String(error)));
        });
      },
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.unref();
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const proxy = SERVICE_PROXY.exec(path);
    const body = await readBody(req);
    const entry: RecordedRequest = {
      seq: this.log.length + 1,
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      kind: proxy ? 'proxy' : 'api',
      user: null,
      headers: {
        authorization: req.headers.authorization,
        accept: req.headers.accept,
        contentType: req.headers['content-type'],
        userAgent: req.headers['user-agent'],
      },
      status: null,
      ...(proxy ? { body: body.toString('utf8') } : {}),
    };
    this.log.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });

    const identity = this.authenticate(req);
    entry.user = identity === 'invalid' ? null : identity;

    const fault = this.takeFault(path);
    if (fault?.hangMs !== undefined) {
      if (fault.hangMs === Infinity) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, fault.hangMs);
        this.timers.add(timer);
      });
      if (res.destroyed) return;
    }
    if (fault?.status !== undefined) {
      this.send(res, faultAnswer(fault.status, fault.message, path, method, identity));
      return;
    }

    const authenticated = identity !== 'invalid' && (identity !== null || this.options.anonymous === true);
    if (!authenticated && !(PUBLIC_PATHS.has(path) && identity === null)) {
      this.send(res, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (proxy) {
      await this.proxy(res, method, proxy, url.search, body, req.headers);
      return;
    }
    if (method !== 'GET') {
      this.send(res, status(405, 'MethodNotAllowed', `the emulator is read-only: ${method} ${path} is not served`));
      return;
    }
    this.send(res, this.route(path, url.searchParams));
  }

  /** The user a request authenticates as, null without credentials, 'invalid' for a bad token. */
  private authenticate(req: IncomingMessage): string | null | 'invalid' {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const token = /^Bearer (.+)$/.exec(header)?.[1];
      return (token && this.users.get(token)) || 'invalid';
    }
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate().subject as { CN?: string } | undefined;
      if (subject?.CN) return subject.CN;
    }
    return null;
  }

  private takeFault(path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && pathMatches(f.match, path));
    if (fault) fault.remaining -= 1;
    return fault;
  }

  private route(path: string, query: URLSearchParams): Answer {
    if (path === '/version') return { status: 200, body: VERSION_INFO };
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return { status: 200, body: 'ok' };
    if (path === '/api') {
      return {
        status: 200,
        body: {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }],
        },
      };
    }
    if (path === '/apis') return { status: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups() } };
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] === 'apis' && segments.length === 2) {
      const group = apiGroups().find((g) => g.name === segments[1]);
      return group ? { status: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...group } } : notFound();
    }
    const request = parseResourcePath(segments);
    if (!request) return notFound();
    if (request.discovery) return { status: 200, body: resourceList(request.groupVersion) };
    const { type, namespace, name } = request;
    if (name !== undefined) {
      const object = this.store.get(type, namespace, name);
      if (!object) {
        return status(404, 'NotFound', `${qualified(type)} "${name}" not found`, {
          name,
          group: type.group,
          kind: type.plural,
        });
      }
      return { status: 200, body: object };
    }
    return this.list(type, namespace, query);
  }

  private list(type: ResourceType, namespace: string | null, query: URLSearchParams): Answer {
    if (query.get('watch') === 'true' || query.get('watch') === '1') {
      return status(400, 'BadRequest', 'the emulator does not serve watches');
    }
    const limitText = query.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (limit !== undefined && !Number.isInteger(limit)) {
      return status(400, 'BadRequest', `invalid limit: ${limitText}`);
    }
    try {
      const result = this.store.list(type, namespace, {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
        limit,
        continueToken: query.get('continue') ?? undefined,
      });
      if (!result.ok) {
        return status(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      return {
        status: 200,
        body: {
          kind: `${type.kind}List`,
          apiVersion: groupVersionOf(type),
          metadata: {
            resourceVersion: result.resourceVersion,
            ...(result.continueToken ? { continue: result.continueToken } : {}),
            ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
          },
          // The API server leaves kind and apiVersion out of list items; the list carries them.
          items: result.items.map(withoutTypeMeta),
        },
      };
    } catch (error) {
      if (error instanceof BadRequestError) return status(400, 'BadRequest', error.message);
      throw error;
    }
  }

  private async proxy(
    res: ServerResponse,
    method: string,
    [, namespace = '', target = '', rest = '']: RegExpExecArray,
    search: string,
    body: Buffer,
    headers: IncomingMessage['headers'],
  ): Promise<void> {
    // "<name>", "<name>:<port>" or "<scheme>:<name>:<port>", as the API server parses it.
    const parts = decodeURIComponent(target).split(':');
    const name = (parts.length === 3 ? parts[1] : parts[0]) ?? '';
    const port = (parts.length === 3 ? parts[2] : parts[1]) ?? '';
    const serviceType = RESOURCE_TYPES.find((t) => t.kind === 'Service');
    const service = serviceType && this.store.get(serviceType, namespace, name);
    if (!service) {
      this.send(res, status(404, 'NotFound', `services "${name}" not found`, { name, kind: 'services' }));
      return;
    }
    const ports = ((service.spec as { ports?: Array<{ name?: string; port: number }> } | undefined)?.ports ?? []);
    const upstream = this.upstreams.get(`${namespace}/${name}`);
    if (!upstream || (port !== '' && !ports.some((p) => p.name === port || String(p.port) === port))) {
      this.send(res, status(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`));
      return;
    }
    try {
      // The API server does not pass the caller's Authorization header on to the service.
      const response = await fetch(`${upstream}/${rest}${search}`, {
        method,
        headers: {
          ...(headers['content-type'] ? { 'content-type': headers['content-type'] } : {}),
          ...(headers.accept ? { accept: headers.accept } : {}),
        },
        body: method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(body),
      });
      const payload = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, { 'Content-Type': response.headers.get('content-type') ?? 'text/plain' });
      res.end(payload);
    } catch (error) {
      this.send(res, status(503, 'ServiceUnavailable', `error trying to reach service: ${(error as Error).message}`));
    }
  }

  private send(res: ServerResponse, answer: Answer): void {
    if (res.destroyed) return;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'Content-Type': typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'Audit-Id': randomUUID(),
    });
    res.end(text);
  }
}

type ResourceRequest =
  | { discovery: true; groupVersion: string }
  | { discovery: false; type: ResourceType; namespace: string | null; name?: string };

/** Splits `/api/v1/…` and `/apis/<group>/<version>/…` into what is asked for; undefined for a 404. */
function parseResourcePath(segments: string[]): ResourceRequest | undefined {
  let groupVersion: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1] === 'v1') {
    groupVersion = 'v1';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    groupVersion = `${segments[1]}/${segments[2]}`;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  const types = RESOURCE_TYPES.filter((t) => groupVersionOf(t) === groupVersion);
  if (types.length === 0) return undefined;
  if (rest.length === 0) return { discovery: true, groupVersion };
  const find = (plural: string | undefined): ResourceType | undefined => types.find((t) => t.plural === plural);
  const namespaceType = groupVersion === 'v1' ? find('namespaces') : undefined;
  if (rest[0] === 'namespaces' && rest.length === 2 && namespaceType) {
    return { discovery: false, type: namespaceType, namespace: null, name: rest[1] };
  }
  if (rest[0] === 'namespaces' && (rest.length === 3 || rest.length === 4)) {
    const type = find(rest[2]);
    if (!type?.namespaced) return undefined;
    return { discovery: false, type, namespace: rest[1] ?? null, ...(rest[3] ? { name: rest[3] } : {}) };
  }
  const type = find(rest[0]);
  if (!type || rest.length > 2) return undefined;
  // A namespaced resource has no cluster-scoped get: /api/v1/pods/<name> is a 404.
  if (rest.length === 2 && type.namespaced) return undefined;
  return { discovery: false, type, namespace: null, ...(rest[1] ? { name: rest[1] } : {}) };
}

function apiGroups(): Array<{
  name: string;
  versions: Array<{ groupVersion: string; version: string }>;
  preferredVersion: { groupVersion: string; version: string };
}> {
  const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group !== '').map((t) => t.group))];
  return groups.map((name) => {
    const version = RESOURCE_TYPES.find((t) => t.group === name)?.version ?? 'v1';
    const entry = { groupVersion: `${name}/${version}`, version };
    return { name, versions: [entry], preferredVersion: entry };
  });
}

function resourceList(groupVersion: string): object {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const resources: object[] = RESOURCE_TYPES.filter((t) => groupVersionOf(t) === groupVersion).map((t) => ({
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.kind === 'Namespace' ? verbs.filter((v) => v !== 'deletecollection') : verbs,
    shortNames: t.shortNames,
  }));
  if (groupVersion === 'v1') {
    resources.push({
      name: 'services/proxy',
      singularName: '',
      namespaced: true,
      kind: 'ServiceProxyOptions',
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function withoutTypeMeta(object: StoredObject): Omit<StoredObject, 'kind' | 'apiVersion'> {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  return rest;
}

function qualified(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

function pathMatches(match: PathMatch | undefined, path: string): boolean {
  if (match === undefined) return true;
  if (match instanceof RegExp) return match.test(path);
  const prefix = match.replace(/\/$/, '');
  return path === prefix || path.startsWith(`${prefix}/`);
}

function status(code: number, reason: string, message: string, details?: object): Answer {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}

function notFound(): Answer {
  return status(404, 'NotFound', 'the server could not find the requested resource', {});
}

function internalError(message: string): Answer {
  return status(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** An injected failure, worded as the API server words it for that path. */
function faultAnswer(
  code: FaultStatus,
  message: string | undefined,
  path: string,
  method: string,
  identity: string | null | 'invalid',
): Answer {
  const request = parseResourcePath(path.split('/').filter((s) => s !== ''));
  const resource = request && !request.discovery ? request : undefined;
  switch (code) {
    case 401:
      return status(401, 'Unauthorized', message ?? 'Unauthorized');
    case 403: {
      const user = identity === null || identity === 'invalid' ? 'system:anonymous' : identity;
      if (!resource) return status(403, 'Forbidden', message ?? `forbidden: User "${user}" cannot get path "${path}"`);
      const { type, namespace, name } = resource;
      const verb = name !== undefined ? 'get' : method === 'GET' ? 'list' : method.toLowerCase();
      const subject = name !== undefined ? `${qualified(type)} "${name}"` : qualified(type);
      const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
      return status(
        403,
        'Forbidden',
        message ??
          `${subject} is forbidden: User "${user}" cannot ${verb} resource "${type.plural}" in API group "${type.group}" ${scope}`,
        { ...(name !== undefined ? { name } : {}), group: type.group, kind: type.plural },
      );
    }
    case 404:
      return message ? status(404, 'NotFound', message, {}) : notFound();
    case 500:
      return internalError(message ?? 'injected failure');
    case 503:
      return status(503, 'ServiceUnavailable', message ?? 'the server is currently unable to handle the request');
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
