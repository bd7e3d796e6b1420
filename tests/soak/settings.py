"""The soak test's parameters, from ``SOAK_*`` environment variables.

The defaults are the short run of the default nox set; ``nox -s soak`` sets the
10-minute run (200 requests/s, growth measured between minute 2 and minute 10).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class SoakSettings:
    """Load, timing and the budgets the run must meet.

    Attributes:
        seconds: Load duration per app (``SOAK_SECONDS``).
        rate: Requests per second (``SOAK_RATE``).
        token_lifetime: Lifetime of the token server's tokens (``SOAK_TOKEN_LIFETIME``).
        warmup: Seconds of load before the baseline reading (``SOAK_WARMUP``).
        window: Seconds of samples at each end; the minimum of each window is
            compared (``SOAK_WINDOW``).
        workers: gunicorn workers (``SOAK_WORKERS``).
        max_rss_mib: Allowed resident-memory growth per process (``SOAK_MAX_RSS_MIB``).
        max_threads: Allowed thread-count growth per process (``SOAK_MAX_THREADS``).
        max_fds: Allowed growth of open files per process (``SOAK_MAX_FDS``).
        max_lost: Allowed spans lost or duplicated (``SOAK_MAX_LOST``).
        max_warnings: Allowed warning / error lines printed (``SOAK_MAX_WARNINGS``).
        figures: JSON file the figures are merged into (``SOAK_FIGURES``), or empty.
    """

    seconds: float
    rate: float
    token_lifetime: float
    warmup: float
    window: float
    workers: int
    max_rss_mib: float
    max_threads: int
    max_fds: int
    max_lost: int
    max_warnings: int
    figures: str

    @classmethod
    def from_env(cls) -> SoakSettings:
        """Read the settings; unset variables take the short run's values."""
        return cls(
            seconds=_float("SOAK_SECONDS", 40.0),
            rate=_float("SOAK_RATE", 50.0),
            token_lifetime=_float("SOAK_TOKEN_LIFETIME", 4.0),
            warmup=_float("SOAK_WARMUP", 12.0),
            window=_float("SOAK_WINDOW", 4.0),
            workers=int(_float("SOAK_WORKERS", 2)),
            max_rss_mib=_float("SOAK_MAX_RSS_MIB", 2.0),
            max_threads=int(_float("SOAK_MAX_THREADS", 0)),
            max_fds=int(_float("SOAK_MAX_FDS", 0)),
            max_lost=int(_float("SOAK_MAX_LOST", 0)),
            max_warnings=int(_float("SOAK_MAX_WARNINGS", 0)),
            figures=os.environ.get("SOAK_FIGURES", ""),
        )


SETTINGS = SoakSettings.from_env()
