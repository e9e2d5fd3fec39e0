import { useQuery } from '@tanstack/react-query';
import type { ReactElement } from 'react';
import type { HeadroomApi } from '../core/api/contract';
import { connectionsQuery, versionQuery } from './api/queries';

export interface AppProps {
  api: HeadroomApi;
}

/** The first page: what Headroom is connected to, and what comes next. */
export function App({ api }: AppProps): ReactElement {
  return (
    <main className="page">
      <header>
        <h1>Headroom</h1>
        <p className="tagline">Finds the bottleneck in your Kubernetes services and proposes the fix.</p>
      </header>
      <BackendStatus api={api} />
      <Connections api={api} />
      <section aria-labelledby="next-heading">
        <h2 id="next-heading">Coming next</h2>
        <p>
          Analysis screens come next: RED metrics and SLO burn per service, the bottleneck each rule
          finds with its evidence, and right-sized manifests to review and export.
        </p>
      </section>
    </main>
  );
}

function BackendStatus({ api }: AppProps): ReactElement {
  const version = useQuery(versionQuery(api));
  if (version.isPending) return <p role="status">Connecting to Headroom's engine…</p>;
  if (version.isError) return <p role="alert">Cannot reach Headroom's engine: {version.error.message}</p>;
  const where = version.data.mode === 'electron' ? 'desktop app' : 'web mode';
  return (
    <p role="status" data-testid="backend-status">
      Engine {version.data.version} connected ({where})
    </p>
  );
}

function Connections({ api }: AppProps): ReactElement {
  const connections = useQuery(connectionsQuery(api));
  return (
    <section aria-labelledby="connections-heading">
      <h2 id="connections-heading">Connections</h2>
      {connections.isPending && <p>Loading connections…</p>}
      {connections.isError && <p role="alert">Cannot list connections: {connections.error.message}</p>}
      {connections.isSuccess && connections.data.length === 0 && (
        <p data-testid="connections-empty">
          No connections yet. Adding a Prometheus (and optionally a cluster) comes in the next version.
        </p>
      )}
      {connections.isSuccess && connections.data.length > 0 && (
        <ul data-testid="connections">
          {connections.data.map((connection) => (
            <li key={connection.id}>
              <strong>{connection.name}</strong> — {connection.prometheusUrl}
              {connection.kubeContext !== null && <> · cluster {connection.kubeContext}</>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
