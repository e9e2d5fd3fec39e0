/**
 * Querying a Prometheus that runs inside a cluster through the Kubernetes API server's service proxy
 * (`{server}/api/v1/namespaces/{ns}/services/{scheme}:{name}:{port}/proxy{prefix}`), as krr, Lens and Headlamp
 * do: no port-forward, only the kubeconfig's credentials and RBAC `get` on `services/proxy`.
 *
 * The credentials are the API server's, not Prometheus': the API server strips the caller's `Authorization`
 * header before it forwards, so a Prometheus that wants its own token cannot be reached this way (port-forward
 * and connect directly instead). Other headers, such as `X-Scope-OrgID`, do go through.
 *
 * client-node resolves the credentials (`applyToHTTPSOptions`: CA, client certificate, bearer token, exec
 * plugin, impersonation); this module turns them into a `Connection`.
 */
import type { SelectedContext } from '../kubernetes/kubeconfig';
import { KubernetesError } from '../kubernetes/errors';
import { z } from 'zod';
import { PrometheusClient, connectionSchema, type Connection, type ConnectionInput } from './client';

export const kubeProxyTargetSchema = z.object({
  namespace: z.string().min(1),
  service: z.string().min(1),
  /** The Service port, by name (`http-web`) or number (9090). */
  port: z.union([z.string().min(1), z.number().int().min(1).max(65_535)]),
  /** How the API server talks to the Service's pods. */
  scheme: z.enum(['http', 'https']).default('http'),
  /** Where the Prometheus API sits below the service: `/prometheus` for Mimir, `/select/0/prometheus` for vmselect. */
  pathPrefix: z
    .string()
    .regex(/^(\/[^/?#]+)*$/, 'a path prefix starts with "/" and has no trailing "/", query or fragment')
    .default(''),
});

export type KubeProxyTarget = z.infer<typeof kubeProxyTargetSchema>;
export type KubeProxyTargetInput = z.input<typeof kubeProxyTargetSchema>;

/** What a service-proxy connection may set beyond the kubeconfig's credentials. */
export type KubeProxyOverrides = Pick<ConnectionInput, 'headers' | 'timeoutMs' | 'retry'>;

/** The service-proxy URL of a Prometheus behind `target`, on the API server `server`. */
export function kubeProxyUrl(server: string, target: KubeProxyTargetInput): string {
  const { namespace, service, port, scheme, pathPrefix } = kubeProxyTargetSchema.parse(target);
  const base = server.replace(/\/+$/, '');
  const name = [scheme, service, String(port)].map(encodeURIComponent).join(':');
  return `${base}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${name}/proxy${pathPrefix}`;
}

/**
 * A connection to `target` through the API server of `context`, carrying the credentials the kubeconfig
 * yields now. An exec-plugin token in it expires like the plugin's; `createKubeProxyClient` asks for a fresh one
 * per request instead.
 */
export async function kubeProxyConnection(
  context: SelectedContext,
  target: KubeProxyTargetInput,
  overrides: KubeProxyOverrides = {},
): Promise<Connection> {
  const { headers, bearerToken, basicAuth, tls } = await kubeCredentials(context);
  return connectionSchema.parse({
    ...overrides,
    url: kubeProxyUrl(context.server, target),
    headers: { ...overrides.headers, ...headers },
    bearerToken,
    basicAuth,
    tls,
  });
}

/**
 * A client for `target` through the API server of `context`. Each request asks client-node for the credentials
 * again; it caches an exec plugin's token until the token's `expirationTimestamp`, so this runs the plugin only
 * when the token has expired, and a long analysis never fails halfway on a stale token.
 */
export async function createKubeProxyClient(
  context: SelectedContext,
  target: KubeProxyTargetInput,
  overrides: KubeProxyOverrides = {},
): Promise<PrometheusClient> {
  const { headers, tls } = await kubeCredentials(context);
  return new PrometheusClient(
    { ...overrides, url: kubeProxyUrl(context.server, target), headers: { ...overrides.headers, ...headers }, tls },
    {
      authorize: async (): Promise<Record<string, string>> => {
        const fresh = await kubeCredentials(context);
        if (fresh.bearerToken !== undefined) return { Authorization: `Bearer ${fresh.bearerToken}` };
        if (fresh.basicAuth !== undefined) {
          const { username, password } = fresh.basicAuth;
          return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
        }
        return {};
      },
    },
  );
}

interface KubeCredentials {
  /** Headers other than Authorization, e.g. Impersonate-User. */
  headers: Record<string, string>;
  bearerToken: string | undefined;
  basicAuth: { username: string; password: string } | undefined;
  tls: NonNullable<ConnectionInput['tls']>;
}

/** The kubeconfig's credentials for the API server of `context`, as client-node resolves them. */
async function kubeCredentials(context: SelectedContext): Promise<KubeCredentials> {
  const cluster = context.config.getCurrentCluster();
  if (cluster?.proxyUrl) {
    // client-node would tunnel through it with its own agent; our client connects directly and would miss it.
    throw new KubernetesError(
      'unreachable',
      `Cluster "${context.cluster}" is reached through proxy-url ${cluster.proxyUrl}, which Headroom cannot use for Prometheus queries yet; port-forward to Prometheus and connect to it directly`,
    );
  }
  const options: {
    headers?: Record<string, string | string[] | number>;
    ca?: Buffer | string;
    cert?: Buffer | string;
    key?: Buffer | string;
    auth?: string;
    rejectUnauthorized?: boolean;
    servername?: string;
  } = {};
  try {
    await context.config.applyToHTTPSOptions(options);
  } catch (error) {
    const detail = error instanceof Error ? error.message.trim().split('\n')[0] : String(error);
    throw new KubernetesError(
      'credentials-failed',
      `The credentials of context "${context.name}" could not be prepared (${detail}); run its login command (for example aws sso login or gcloud auth login) or check the user in the kubeconfig, then retry`,
    );
  }
  const headers: Record<string, string> = {};
  let bearerToken: string | undefined;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    if (name.toLowerCase() !== 'authorization') headers[name] = text;
    else if (text.startsWith('Bearer ')) bearerToken = text.slice('Bearer '.length);
  }
  // client-node writes a kubeconfig's username/password as `auth: "user:password"`.
  const separator = options.auth?.indexOf(':') ?? -1;
  const basicAuth =
    bearerToken === undefined && options.auth !== undefined && separator > 0
      ? { username: options.auth.slice(0, separator), password: options.auth.slice(separator + 1) }
      : undefined;
  const pem = (value: Buffer | string | undefined): string | undefined => (value === undefined ? undefined : value.toString());
  return {
    headers,
    bearerToken,
    basicAuth,
    tls: {
      caPem: pem(options.ca),
      certPem: pem(options.cert),
      keyPem: pem(options.key),
      insecureSkipVerify: options.rejectUnauthorized === false,
      serverName: options.servername,
    },
  };
}
