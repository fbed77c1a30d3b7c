"""One retry policy: after the n-th failed attempt wait `schedule[n-1]` ×
1.0–1.2 (jitter), and after the last wait's attempt give up (`failed`). A
failure a retry cannot fix (`permanent`) gives up at once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

JITTER = (1.0, 1.2)


def jitter() -> float:
    # Spreads the retries of many deliveries that failed together.
    return random.uniform(*JITTER)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, whatever the channel: no error is success."""

    error: str | None = None
    # Nothing useful was or can be sent (the request could not be built, the
    # receiver refused for good): a retry would fail the same way.
    permanent: bool = False

    @property
    def succeeded(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Decision:
    state: str  # "done", "retry" or "failed"
    retry_at: datetime | None = None
    wait: float | None = None


DONE = Decision("done")
FAILED = Decision("failed")


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...]

    @property
    def max_attempts(self) -> int:
        """Attempts in all: the first and one after each wait."""
        return len(self.schedule) + 1

    def exhausted(self, attempts: int) -> bool:
        return attempts > self.max_attempts

    def wait_after(self, attempts: int) -> float | None:
        """The wait after the `attempts`-th attempt failed; None: give up."""
        if attempts >= self.max_attempts:
            return None
        return self.schedule[attempts - 1] * jitter()

    def decide(self, attempts: int, outcome: Outcome, now: datetime) -> Decision:
        """`attempts`: made so far, the one that came to `outcome` included."""
        if outcome.succeeded:
            return DONE
        wait = None if outcome.permanent else self.wait_after(attempts)
        if wait is None:
            return FAILED
        return Decision("retry", now + timedelta(seconds=wait), wait)
