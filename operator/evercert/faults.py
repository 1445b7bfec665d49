"""A test hook: with EVERCERT_TEST_CRASH_AT=<step> the operator kills itself when an issuance reaches it.

The reliability tests use it to crash the operator at each step of an issuance and prove that a
restarted one loses nothing. Unset, as it always is outside those tests, checkpoints do nothing.
"""

from __future__ import annotations

import os
import signal
from typing import Literal

Step = Literal[
    "key-created",
    "order-created",
    "solvers-created",
    "challenge-answered",
    "finalized",
    "secret-written",
]

CRASH_AT = os.environ.get("EVERCERT_TEST_CRASH_AT")


def checkpoint(step: Step) -> None:
    """Die at once by SIGKILL, as a crash would (no clean-up runs), if the hook names this step."""
    if step == CRASH_AT:
        os.kill(os.getpid(), signal.SIGKILL)
