"""The fault suite's stack: every service, the mailbox and the gateway as processes
(scripts/run_services.py, as the browser tests run it), with their own database, bus
namespace, ports and mailbox directory; a service that exits is started again
(DEV_RESTART_EXITED), as a supervisor would after a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.testing import plugin
from shared.testing.stack import StackRun, running_stack

# Shorter waits than production's, so that the suite settles within the test's budget: the
# consumers' retries, the emails' retries after a temporary failure, the sweepers.
RETRY_DELAYS_MS = "300,1000,2000"


@pytest.fixture(scope="module")
def fault_stack(
    test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory
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
    with running_stack("faults", tmp_path_factory.mktemp("mail"), env) as run:
        yield run
