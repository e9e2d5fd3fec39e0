#!/usr/bin/python3
"""
Debian's prometheus-pgbouncer-exporter (package 1.7-2.1, Christopher Baines' exporter under
/usr/lib/python3/dist-packages/prometheus_pgbouncer_exporter) run against PgBouncer 1.8 or newer.
Same program, same command line (--host, --port, --pgbouncer-host, --pgbouncer-port, …), same
connection, same HTTP server; two documented adaptations, both applied before its own main() runs.
Run with Debian's /usr/bin/python3, whose dist-packages hold the exporter and its dependencies.

1. Why it crashes on PgBouncer 1.18, and the fix.
   StatsCollector maps SHOW STATS columns to metrics and reads `total_requests` for
   `pgbouncer_requests_total`. PgBouncer 1.8 (NEWS, 2017-12-19: "Track queries and transactions
   separately in SHOW STATS. The fields total_requests, avg_req, and avg_query have been replaced by
   new fields") split it into `total_query_count` and `total_xact_count`. cli.main() registers the
   collector in prometheus_client's REGISTRY, which calls collect() once to learn the metric names,
   so the first SHOW STATS row raises `KeyError: 'total_requests'` and the exporter exits before it
   listens (on every scrape it would answer HTTP 500 instead). No option avoids it: `--database`
   filters rows by name, and every database has a SHOW STATS row. The fix changes only that table
   entry: the same metric, `pgbouncer_requests_total` ("Total number of SQL requests pooled"), now
   reads `total_query_count`, the per-query counter that replaced it. The other three columns it
   reads (total_received, total_sent, total_query_time) still exist with the same meaning.

2. What it does not export, and the minimal addition.
   Its PoolsCollector exports only cl_active and cl_waiting (as pgbouncer_active_clients and
   pgbouncer_waiting_clients{database,user}) and its DatabasesCollector pool_size and reserve_pool
   labelled by the *backend* database. Headroom's pool collector (core/analysis/collect/pools.ts)
   reads prometheus-community/pgbouncer_exporter, the exporter Kubernetes charts ship: busy server
   connections per pool, the oldest waiter's age and pool_size by logical name. Debian packages no
   such exporter and Go modules cannot be fetched here, so the two collectors below re-implement that
   exporter's `pools` and `databases` column mappings (names, labels and units as in its
   collector.go, `maxwait` in whole seconds like it) on this exporter's own NamedColumnCollector and
   connection. They are added next to its own metrics, which stay as they are.
"""

from prometheus_client.core import REGISTRY

from prometheus_pgbouncer_exporter import cli
from prometheus_pgbouncer_exporter.collectors import NamedColumnCollector, StatsCollector

# --- 1. the SHOW STATS column renamed in PgBouncer 1.8 ---------------------------------------------
_requests = StatsCollector.metrics.pop('total_requests')
StatsCollector.metrics['total_query_count'] = _requests


# --- 2. prometheus-community/pgbouncer_exporter's pool and database series --------------------------
class CommunityPoolsCollector(NamedColumnCollector):
    """SHOW POOLS as pgbouncer_pools_*{database,user}."""

    query_parameter = 'POOLS'
    labels = ['database', 'user']
    databases = None
    metrics = {
        'cl_active': ('client_active_connections', 'Client connections linked to server connection and able to process queries'),
        'cl_waiting': ('client_waiting_connections', 'Client connections waiting on a server connection'),
        'sv_active': ('server_active_connections', 'Server connections linked to a client connection'),
        'sv_idle': ('server_idle_connections', 'Server connections idle and ready for a client query'),
        'sv_used': ('server_used_connections', 'Server connections idle more than server_check_delay, needing server_check_query'),
        'sv_tested': ('server_testing_connections', 'Server connections currently running either server_reset_query or server_check_query'),
        'sv_login': ('server_login_connections', 'Server connections currently in the process of logging in'),
        'maxwait': ('client_maxwait_seconds', 'Age of oldest unserved client connection, in whole seconds'),
    }

    def get_labels_for_row(self, row):
        return [row['database'], row['user']]


class CommunityDatabasesCollector(NamedColumnCollector):
    """SHOW DATABASES as pgbouncer_databases_*{name,host,port,database,force_user,pool_mode}: `name` is the logical database."""

    query_parameter = 'DATABASES'
    labels = ['name', 'host', 'port', 'database', 'force_user', 'pool_mode']
    databases = None
    metrics = {
        'pool_size': ('pool_size', 'Maximum number of server connections'),
        'reserve_pool': ('reserve_pool', 'Maximum number of additional connections for this database'),
        'max_connections': ('max_connections', 'Maximum number of allowed connections for this database'),
        'current_connections': ('current_connections', 'Current number of connections for this database'),
    }

    def get_labels_for_row(self, row):
        return ['' if row[label] is None else str(row[label]) for label in self.labels]


_connect = cli.get_connection


def _connect_and_register(*args, **kwargs):
    """cli.main() opens one connection and then registers its collectors: ours share it."""
    connection = _connect(*args, **kwargs)
    REGISTRY.register(CommunityPoolsCollector(connection, namespace='pgbouncer_pools'))
    REGISTRY.register(CommunityDatabasesCollector(connection, namespace='pgbouncer_databases'))
    return connection


cli.get_connection = _connect_and_register

if __name__ == '__main__':
    cli.main()
