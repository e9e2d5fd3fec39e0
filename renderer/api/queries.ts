/**
 * Query option factories: every component gets its data through these, so keys and fetchers stay in
 * one place. Keys: app-wide data under ['headroom', ...]; anything read through a connection under
 * ['connection', connectionId, ...], so refreshing or removing one connection touches only its data.
 */
import { queryOptions } from '@tanstack/react-query';
import type { QueryKey, QueryKeyWithDataTag, UnusedSkipTokenOptions } from '@tanstack/react-query';
import type { ConnectionSummary, HeadroomApi, VersionInfo } from '../../core/api/contract';

type ApiQueryOptions<TData, TKey extends QueryKey> = UnusedSkipTokenOptions<TData, Error, TData, TKey> &
  QueryKeyWithDataTag<TKey, TData, Error>;

export const queryKeys = {
  version: () => ['headroom', 'version'] as const,
  connections: () => ['headroom', 'connections'] as const,
};

export function versionQuery(api: HeadroomApi): ApiQueryOptions<VersionInfo, ReturnType<typeof queryKeys.version>> {
  // The version cannot change while the app runs.
  return queryOptions({ queryKey: queryKeys.version(), queryFn: () => api.version(), staleTime: Infinity });
}

export function connectionsQuery(
  api: HeadroomApi,
): ApiQueryOptions<ConnectionSummary[], ReturnType<typeof queryKeys.connections>> {
  return queryOptions({ queryKey: queryKeys.connections(), queryFn: () => api.listConnections() });
}
