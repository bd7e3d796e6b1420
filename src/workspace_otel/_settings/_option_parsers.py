"""Parsers of option values: ``parse(value, where) -> typed value``.

``value`` is a stripped environment value or a configure() argument; ``where``
names its home (``WORKSPACE_OTEL_BACKEND`` or ``configure(backend)``) and
goes into the :class:`~workspace_otel.errors.ConfigurationError` with the fix.
Parsers of secret options never put the value in a message.
"""

from __future__ import annotations

import math

from workspace_otel.errors import ConfigurationError

TYPE_CHECKING = False  # typing is not imported at run time: the option table is read at start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    Parser: TypeAlias = Callable[[Any, str], Any]

__all__ = [
    "MIN_INTERVAL",
    "PROTOCOLS",
    "assignment",
    "check_interval",
    "choice",
    "header_name",
    "is_header_name",
    "on_off",
    "protocol",
    "seconds",
    "true_false",
]

PROTOCOLS = ("http/protobuf", "grpc")
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no"})


def assignment(where: str, value: object) -> str:
    """Render ``where`` set to ``value``: ``VAR='x'`` or ``configure(arg='x')``."""
    if where.startswith("configure(") and where.endswith(")"):
        return f"{where[:-1]}={value!r})"
    return f"{where}={value!r}"


class choice:
    """Parser of one of a fixed set of words (case-insensitive); the first is the default.

    Attributes:
        choices: the accepted words, in documentation order.
    """

    __slots__ = ("choices",)

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def __call__(self, value: Any, where: str) -> str:
        word = str(value).strip().lower()
        if word not in self.choices:
            verb = "use" if where.startswith("configure(") else "set it to"
            raise ConfigurationError(
                f"{assignment(where, value)} is not valid: {verb} one of {', '.join(self.choices)}"
            )
        return word


def on_off(value: Any, where: str) -> bool:
    """Parse on/off (also true/false, 1/0, yes/no); ``bool`` arguments pass through."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigurationError(f"{assignment(where, word)} is not valid: set it to on or off")


def true_false(value: Any, where: str) -> bool:
    """Parse a standard OTel boolean such as ``OTEL_SDK_DISABLED``."""
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigurationError(
        f"{assignment(where, value)} is not valid: set it to true (turn the SDK off) or false"
    )


def seconds(value: Any, where: str) -> float:
    """Parse a number of seconds in (0, 300]."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0.0 < number <= 300.0:
        raise ConfigurationError(f"{where} must be a number of seconds between 0 and 300, e.g. 5")
    return number


MIN_INTERVAL = 0.1
"""Shortest interval between two token fetches the library accepts or computes (seconds)."""


def check_interval(value: object, where: str, *, minimum: float = MIN_INTERVAL) -> float:
    """Return ``value`` as seconds, refusing what would make a loop spin.

    Args:
        value: the configured interval (``inf`` means "never").
        where: the argument or variable, for the message (e.g.
            ``FileTokenSource(revalidate_interval=...)``).
        minimum: the smallest accepted value (:data:`MIN_INTERVAL`; 0 for
            intervals that do not schedule anything by themselves).

    Raises:
        ConfigurationError: not a number, NaN, or below ``minimum``.
    """
    seconds = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    if math.isnan(seconds) or seconds < minimum:
        raise ConfigurationError(
            f"{where} is {value!r}: it must be a number of seconds of at least {minimum:g} "
            "(e.g. 5), or float('inf') for never"
        )
    return seconds


# RFC 9110 token characters: what an HTTP field name may contain.
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_header_name(name: str) -> bool:
    """Whether ``name`` is an HTTP header name (RFC 9110 token characters only)."""
    return bool(name) and _TCHARS.issuperset(name)


def header_name(value: Any, where: str) -> str:
    """Parse an HTTP header name (stripped, lower-cased)."""
    name = str(value).strip().lower()
    if not is_header_name(name):
        raise ConfigurationError(
            f"{where} token header must be an HTTP header name such as authorization"
        )
    return name


def protocol(value: Any, where: str) -> str:
    """Parse an OTLP protocol: ``http/protobuf`` or ``grpc``."""
    low = str(value).strip().lower()
    if low == "http/json":
        raise ConfigurationError(
            f"{where}=http/json is not supported by the Python OTLP exporters: "
            "use http/protobuf (the default) or grpc"
        )
    if low not in PROTOCOLS:
        raise ConfigurationError(f"{where}={value!r} is not valid: use http/protobuf or grpc")
    return low
