"""Shared pieces of the reliability suite: figures, the leak scanner, clocks, child processes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workspace_otel.credentials._cache_timing import Clock
from workspace_otel.credentials._token import Token

APPS = Path(__file__).parent / "apps"


class Figures:
    """Measured figures, grouped by section, written to JSON at the end of the session."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self._lock = threading.Lock()

    def record(self, section: str, **values: Any) -> None:
        """Merge ``values`` into ``section``."""
        with self._lock:
            self.data.setdefault(section, {}).update(values)

    def add_scan(self, label: str, canaries: int, scanned: int, texts: int) -> None:
        """Append one leak scan's size to the ``canary_scans`` list."""
        with self._lock:
            scans = self.data.setdefault("canary_scans", [])
            scans.append({"scan": label, "canaries": canaries, "bytes": scanned, "texts": texts})


class _Capture(logging.Handler):
    """Keeps every record's formatted message, exception and stack text."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.records: list[logging.LogRecord] = []
        self._formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self._formatter.format(record)
        except Exception as exc:
            text = f"unformattable record {record.msg!r}: {exc!r}"
        self.records.append(record)
        self.texts.append(text)


@dataclass
class LeakScanner:
    """Collects captured bytes and secrets, then proves no secret occurs in any of them.

    A JWT counts as leaked when the whole token or its signature segment
    occurs; any other secret when its whole value occurs.
    """

    figures: Figures
    handler: _Capture = field(default_factory=_Capture)
    secrets: set[str] = field(default_factory=set)
    captured: list[tuple[str, bytes]] = field(default_factory=list)

    def secret(self, *values: str | None) -> None:
        """Register canaries (``None`` and empty values are ignored)."""
        for value in values:
            if value:
                self.secrets.add(value)

    def add(self, label: str, data: str | bytes | None) -> None:
        """Add captured output under ``label``."""
        if data is None:
            return
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
        self.captured.append((label, raw))

    def add_reprs(self, label: str, objects: Iterable[object]) -> None:
        """Add ``repr()`` and ``str()`` of every object."""
        for obj in objects:
            self.add(f"{label}: repr {type(obj).__name__}", repr(obj))
            self.add(f"{label}: str {type(obj).__name__}", str(obj))

    def needles(self) -> dict[str, str]:
        """Every searched string, mapped to the secret it belongs to."""
        found: dict[str, str] = {}
        for value in self.secrets:
            found[value] = value
            parts = value.split(".")
            if len(parts) == 3 and len(parts[2]) >= 16:
                found[parts[2]] = value
        return found

    def scan(self, label: str) -> tuple[int, int]:
        """Assert no secret occurs anywhere; return (canaries, bytes scanned)."""
        self.add(f"{label}: log records", "\n".join(self.handler.texts))
        needles = {k.encode(): v for k, v in self.needles().items()}
        hits: list[str] = []
        scanned = 0
        for where, data in self.captured:
            scanned += len(data)
            for needle, secret in needles.items():
                if needle in data:
                    hits.append(f"{secret[:12]}... in {where}")
        assert not hits, f"secrets leaked: {hits[:10]} ({len(hits)} hits)"
        self.figures.add_scan(label, len(self.secrets), scanned, len(self.captured))
        return len(self.secrets), scanned


class FakeClock:
    """Wall and monotonic clocks that move only when told; jitter pinned by ``jitter``.

    Starts at the real time so tokens from a real token server look fresh.
    """

    def __init__(self, wall: float, mono: float = 1000.0) -> None:
        self.wall_now = wall
        self.mono_now = mono
        self.jitter = 1.0

    def advance(self, seconds: float) -> None:
        """Move both clocks (real time passing)."""
        self.wall_now += seconds
        self.mono_now += seconds

    def jump_wall(self, seconds: float) -> None:
        """Move only the wall clock (NTP step, manual change)."""
        self.wall_now += seconds

    def uniform(self, a: float, b: float) -> float:
        """Deterministic draw: ``a + (b - a) * jitter``."""
        return a + (b - a) * self.jitter

    @property
    def clock(self) -> Clock:
        """The clock to inject into a cache."""
        return Clock(
            wall=lambda: self.wall_now, monotonic=lambda: self.mono_now, uniform=self.uniform
        )


class MintingSource:
    """A token source minting real signed JWTs whose times follow a given clock.

    ``now()`` is the issuer's (true) time; the cache under test may see a
    skewed wall clock (``wall()``). With ``expires_in`` the answer carries the
    lifetime as OAuth2 does; without, only the JWT's ``exp`` (as the Gitpod,
    Actions and metadata sources). Counts fetches.
    """

    kind = "minting"
    mints_fresh_tokens = True

    def __init__(
        self, mint: Any, now: Any, lifetime: float, wall: Any, *, expires_in: bool = True
    ) -> None:
        self._mint = mint
        self._expires_in = expires_in
        self._now = now
        self._wall = wall
        self.lifetime = lifetime
        self.fetches = 0
        self.issued: list[str] = []

    @property
    def cache_key(self) -> Hashable:
        """Unique per instance."""
        return ("minting", id(self))

    def fetch(self) -> Token:
        """Mint a token at the issuer's time, described with expires_in like OAuth2."""
        self.fetches += 1
        value: str = self._mint(lifetime=self.lifetime, now=self._now())
        self.issued.append(value)
        return Token.from_value(
            value,
            kind=self.kind,
            expires_in=self.lifetime if self._expires_in else None,
            now=self._wall(),
        )

    def describe(self) -> str:
        """Non-secret description."""
        return "minting test source"
