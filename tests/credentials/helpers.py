"""Test helpers: a controllable clock, unsigned JWTs, scripted sources."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Hashable
from typing import Any

from workspace_otel.credentials._cache_timing import Clock
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

CANARY = "CANARY-0b5e7c1d9f2a4e6b8c0d1e2f3a4b5c6d"
START = 1_800_000_000.0


class FakeClock:
    """Wall and monotonic clocks that move only when told; jitter pinned to one end."""

    def __init__(self, wall: float = START, mono: float = 1000.0) -> None:
        self.wall_now = wall
        self.mono_now = mono
        self.jitter = 1.0  # fraction of the range uniform() returns (1.0 = upper bound)
        self.draws: list[tuple[float, float]] = []

    def advance(self, seconds: float) -> None:
        self.wall_now += seconds
        self.mono_now += seconds

    def uniform(self, a: float, b: float) -> float:
        self.draws.append((a, b))
        return a + (b - a) * self.jitter

    @property
    def clock(self) -> Clock:
        return Clock(
            wall=lambda: self.wall_now, monotonic=lambda: self.mono_now, uniform=self.uniform
        )


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(**claims: Any) -> str:
    """An unsigned (alg none) JWT with the given claims, plus a unique jti."""
    claims.setdefault("jti", base64.b16encode(threading.get_ident().to_bytes(8, "big")).decode())
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.c2ln"


class ScriptedSource:
    """A source returning scripted results; counts fetches; optional gate to block."""

    kind = "scripted"
    mints_fresh_tokens = True

    def __init__(self, results: list[Token | TokenError] | Callable[[], Token]) -> None:
        self.results = results
        self.fetches = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.revalidate_interval = 60.0
        self._lock = threading.Lock()

    @property
    def cache_key(self) -> Hashable:
        return ("scripted", id(self))

    def fetch(self) -> Token:
        with self._lock:
            self.fetches += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        if callable(self.results):
            return self.results()
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, TokenError):
            raise result
        return result

    def describe(self) -> str:
        return "scripted"


def token(value: str = "tok-1", *, lifetime: float | None = 600.0, now: float = START) -> Token:
    """A token issued at ``now`` living ``lifetime`` seconds (None: no expiry)."""
    if lifetime is None:
        return Token(value)
    return Token.from_value(value, kind="scripted", expires_in=lifetime, now=now)
