"""The fault suite's stack: every service, the mailbox and the gateway as processes
(scripts/run_services.py, as the browser tests run it), with their own database, bus
namespace, ports and mailbox directory; a service that exits is started again
(DEV_RESTART_EXITED), as a supervisor would after a crash.

Its database is on a throwaway PostgreSQL cluster of its own (tests/faults/cluster.py), so
that the schedule may crash and restart the server; without initdb on the machine (or with
FAULTS_OWN_CLUSTER=0), on the test servers' Postgres, and the restart is replaced by
terminating the database's backends (printed, and a warning in pytest's summary)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest

from shared.testing import plugin
from shared.testing.stack import StackRun, running_stack
from tests.faults.cluster import Cluster, find_bindir

# Shorter waits than production's, so that the suite settles within the test's budget: the
# consumers' retries, the emails' retries after a temporary failure, the sweepers.
RETRY_DELAYS_MS = "300,1000,2000"


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[Cluster | None]:
    """The suite's own cluster, started; None (and why, printed and warned) when it cannot
    have one."""
    if os.environ.get("FAULTS_OWN_CLUSTER", "1") == "0":
        bindir, why = None, "FAULTS_OWN_CLUSTER=0"
    else:
        bindir, why = find_bindir()
    cluster: Cluster | None = None
    if bindir is not None:
        try:
            cluster = Cluster(bindir)
            cluster.start()
        except Exception as exc:
            if cluster is not None:
                print(cluster.server_log_tail(), flush=True)
                cluster.stop()
            cluster, why = None, f"the cluster did not start: {exc!r}"
    if cluster is None:
        message = (
            f"[faults] NO CLUSTER OF ITS OWN ({why}): the Postgres restart is replaced by "
            "terminating every backend of the test database"
        )
        print(message, flush=True)
        warnings.warn(message, stacklevel=1)
        yield None
        return
    print(f"[faults] own Postgres cluster on port {cluster.port} ({bindir})", flush=True)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def fault_stack(
    test_run: plugin.TestRun,
    tmp_path_factory: pytest.TempPathFactory,
    pg_cluster: Cluster | None,
) -> Iterator[StackRun]:
    env = {
        "DEV_RESTART_EXITED": "1",
        "DEV_READY_TIMEOUT_SECONDS": "120",
        "LOG_LEVEL": "warning",
        "SHUTDOWN_TIMEOUT_SECONDS": "3",
        "CONSUMER_RETRY_DELAYS_MS": RETRY_DELAYS_MS,
        "OUTBOX_SWEEP_SECONDS": "1",
        "MAIL_BASKET_GRACE_SECONDS": "1",
        "MAIL_DISPATCH_SWEEP_SECONDS": "0.5",
        "MAIL_RETRY_DELAYS_MS": "500,1000,2000,4000",
        "MAIL_ADDRESS_RECHECK_SECONDS": "1",
    }
    admin_dsn = pg_cluster.admin_dsn if pg_cluster is not None else None
    with running_stack("faults", tmp_path_factory.mktemp("mail"), env, admin_dsn) as run:
        yield run
