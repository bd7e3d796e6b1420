"""The standard ``OTEL_*`` variables configure() leaves to the SDK, checked before it reads them.

The SDK reads these itself, and reacts to a bad value in one of three ways:
it raises a bare ``ValueError`` out of ``configure()`` (``OTEL_BSP_MAX_QUEUE_SIZE``
below the batch size, a negative span limit, a gRPC timeout that is not a
number), it logs and silently uses its default (``OTEL_BSP_SCHEDULE_DELAY=5s``,
an unknown compression over HTTP), or it blocks or exhausts memory on a file
(a certificate variable naming a FIFO or ``/dev/zero``). One table here says,
for each variable, what the installed SDK accepts (same parsing: ``int()``,
``float()``, the same case folding), the constraint that keeps it from
crashing or being ignored, and the fix; :func:`check` raises
:class:`~workspace_otel.errors.ConfigurationError` naming the variable, the
value and the fix. ``configure()``'s option resolution and ``workspace-otel
doctor``'s configuration check both call it.

A variable set to an empty value is refused ("unset it"), except the span and
attribute limits, where every supported SDK reads ``""`` as "no limit": an
empty exporter timeout or compression is read as unset by recent SDKs but
makes 1.39 (the oldest supported) raise.

This module is one table (:data:`ROWS`) with the parsers its rows name and the
check that walks it; the rows are most of its length, and splitting them from
their parsers would put one fact in two places.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Collection, Iterator, Mapping

from workspace_otel._settings._record import Record
from workspace_otel.errors import ConfigurationError

__all__ = ["ROWS", "Pipeline", "Row", "check", "problems", "sampler_ratio"]

_SIGNAL_NAMES = {"traces": "TRACES", "metrics": "METRICS", "logs": "LOGS"}
_RATIO_SAMPLERS = ("traceidratio", "parentbased_traceidratio")
_CERTIFICATE_LIMIT = 1024 * 1024
# The longest delay or timeout accepted: beyond a few centuries the SDK's
# threads cannot wait (OverflowError kills the export thread); a year is far
# more than any real setting and far from that limit.
_YEAR_SECONDS = 365 * 24 * 3600
_YEAR_MILLISECONDS = _YEAR_SECONDS * 1000


class _Bad(ValueError):
    """A value the SDK would refuse or ignore; the message says why."""


class Pipeline(Record):
    """What configure() is about to build, which decides the variables the SDK will read.

    Attributes:
        enabled: the signals that export anything.
        otlp: signal to protocol (``http/protobuf`` / ``grpc``) for the signals
            exported over OTLP.
        sampler: the sampler name from ``OTEL_TRACES_SAMPLER`` (lowercase), if any.
    """

    enabled: Collection[str]
    otlp: Mapping[str, str]
    sampler: str | None = None


class Row(Record):
    """One variable.

    Attributes:
        name: the variable.
        parse: the SDK's parsing plus the constraint; raises ``ValueError``
            with the reason (blank values included: see ``blank_ok``).
        fix: what to set instead.
        applies: whether the SDK will read it in this pipeline.
        blank_ok: an empty value is what the SDK treats as unset (or unlimited).
    """

    name: str
    parse: Callable[[str], object]
    fix: str
    applies: Callable[[Pipeline], bool]
    blank_ok: bool = False


# -- parsers: the SDK's own parsing, then the constraint --------------------


def _int(raw: str, *, minimum: int, maximum: int = sys.maxsize) -> int:
    try:
        value = int(raw)  # the SDK's parsing: surrounding spaces, a sign and "_" pass
    except ValueError:
        raise _Bad("it is not a whole number") from None
    if value < minimum:
        raise _Bad("it must be positive" if minimum > 0 else "it must not be negative")
    if value > maximum:  # sizes: a C ssize_t; durations: a year
        raise _Bad(f"it must be at most {maximum}")
    return value


def _positive_int(raw: str) -> int:
    return _int(raw, minimum=1)


def _non_negative_int(raw: str) -> int:
    return _int(raw, minimum=0)


def _positive_milliseconds(raw: str) -> int:
    return _int(raw, minimum=1, maximum=_YEAR_MILLISECONDS)


def _non_negative_milliseconds(raw: str) -> int:
    return _int(raw, minimum=0, maximum=_YEAR_MILLISECONDS)


def _limit(raw: str) -> int | None:
    text = raw.strip().lower()  # the SDK's span / log record limits
    return None if text == "" else _non_negative_int(text)


def _positive_number(raw: str, maximum: float = math.inf) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _Bad("it is not a number") from None
    if not 0.0 < value < math.inf:
        raise _Bad("it must be a positive, finite number")
    if value > maximum:
        raise _Bad(f"it must be at most {maximum:g}")
    return value


def _positive_seconds(raw: str) -> float:
    return _positive_number(raw, maximum=_YEAR_SECONDS)


def _positive_number_of_milliseconds(raw: str) -> float:
    return _positive_number(raw, maximum=_YEAR_MILLISECONDS)


def _choice(*choices: str, fold: Callable[[str], str] = lambda s: s) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = fold(raw)
        if value not in choices:
            raise _Bad(f"it is not one of {', '.join(choices)}")
        return value

    return parse


def _lower(raw: str) -> str:
    return raw.lower().strip()


def _upper(raw: str) -> str:
    return raw.upper().strip()


def _certificate(raw: str) -> str:
    from workspace_otel._guards import safe_read

    try:
        safe_read.check_regular(raw, limit=_CERTIFICATE_LIMIT)
    except safe_read.UnsafeFileError as exc:
        raise _Bad(str(exc)) from None
    except OSError as exc:
        raise _Bad(f"cannot use {raw}: {exc.strerror or type(exc).__name__}") from None
    return raw


def sampler_ratio(raw: str) -> float:
    """Parse a ratio sampler's ``OTEL_TRACES_SAMPLER_ARG`` (a probability).

    Raises:
        ValueError: not a number between 0 and 1.
    """
    try:
        value = float(raw)
    except ValueError:
        raise _Bad("it is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise _Bad("it must be between 0 and 1")
    return value


# -- when the SDK reads a variable -------------------------------------------


def _signal_on(signal: str) -> Callable[[Pipeline], bool]:
    return lambda p: signal in p.enabled


def _otlp(signal: str | None = None, protocol: str | None = None) -> Callable[[Pipeline], bool]:
    def applies(p: Pipeline) -> bool:
        signals = [signal] if signal else list(p.otlp)
        return any(s in p.otlp and (protocol is None or p.otlp[s] == protocol) for s in signals)

    return applies


def _always(_: Pipeline) -> bool:
    return True


# -- the table --------------------------------------------------------------


def _processor_rows(prefix: str, signal: str, what: str) -> Iterator[Row]:
    yield Row(
        f"{prefix}_SCHEDULE_DELAY",
        _positive_milliseconds,
        f"set it to a positive number of milliseconds between {what} exports, e.g. 5000",
        _signal_on(signal),
    )
    yield Row(
        f"{prefix}_EXPORT_TIMEOUT",
        _non_negative_milliseconds,
        "set it to a whole number of milliseconds, e.g. 30000",
        _signal_on(signal),
    )
    yield Row(
        f"{prefix}_MAX_QUEUE_SIZE",
        _positive_int,
        f"set it to a positive number of {what} kept before dropping, at least "
        f"{prefix}_MAX_EXPORT_BATCH_SIZE (default 2048)",
        _signal_on(signal),
    )
    yield Row(
        f"{prefix}_MAX_EXPORT_BATCH_SIZE",
        _positive_int,
        f"set it to a positive number of {what} per export, at most "
        f"{prefix}_MAX_QUEUE_SIZE (default 512)",
        _signal_on(signal),
    )


def _limit_rows() -> Iterator[Row]:
    for name in (
        "OTEL_ATTRIBUTE_COUNT_LIMIT",
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        "OTEL_SPAN_EVENT_COUNT_LIMIT",
        "OTEL_SPAN_LINK_COUNT_LIMIT",
        "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
        "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
    ):
        # Read by the SDK when it is imported, whatever the signals.
        yield Row(
            name,
            _limit,
            "set it to a whole number >= 0 (e.g. 128), or to an empty value for no limit",
            _always,
            blank_ok=True,
        )


def _exporter_rows() -> Iterator[Row]:
    for signal, upper in _SIGNAL_NAMES.items():
        for suffix, fix in (
            ("CERTIFICATE", "point it at a PEM file of trusted root certificates"),
            ("CLIENT_KEY", "point it at the client's PEM private key file"),
            ("CLIENT_CERTIFICATE", "point it at the client's PEM certificate file"),
        ):
            yield Row(f"OTEL_EXPORTER_OTLP_{upper}_{suffix}", _certificate, fix, _otlp(signal))
        yield Row(
            f"OTEL_EXPORTER_OTLP_{upper}_TIMEOUT",
            _positive_seconds,
            "set it to a positive number of seconds, e.g. 10",
            _otlp(signal),
        )
        yield Row(
            f"OTEL_EXPORTER_OTLP_{upper}_COMPRESSION",
            _choice("none", "gzip", "deflate", fold=_lower),
            "use gzip, deflate or none over http/protobuf",
            _otlp(signal, "http/protobuf"),
        )
        yield Row(
            f"OTEL_EXPORTER_OTLP_{upper}_COMPRESSION",
            _choice("gzip", fold=_lower),
            "over gRPC the exporter knows only gzip: set gzip, or unset it for none",
            _otlp(signal, "grpc"),
        )
    for suffix, fix in (
        ("CERTIFICATE", "point it at a PEM file of trusted root certificates"),
        ("CLIENT_KEY", "point it at the client's PEM private key file"),
        ("CLIENT_CERTIFICATE", "point it at the client's PEM certificate file"),
    ):
        yield Row(f"OTEL_EXPORTER_OTLP_{suffix}", _certificate, fix, _otlp())
    yield Row(
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        _positive_seconds,
        "set it to a positive number of seconds, e.g. 10",
        _otlp(),
    )
    yield Row(
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        _choice("none", "gzip", "deflate", fold=_lower),
        "use gzip, deflate or none over http/protobuf",
        _otlp(protocol="http/protobuf"),
    )
    yield Row(
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        _choice("gzip", fold=_lower),
        "over gRPC the exporter knows only gzip: set gzip, or unset it for none",
        _otlp(protocol="grpc"),
    )
    yield Row(
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        _choice("CUMULATIVE", "DELTA", "LOWMEMORY", fold=_upper),
        "use cumulative (the default), delta or lowmemory",
        _otlp("metrics"),
    )
    yield Row(
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
        _choice("explicit_bucket_histogram", "base2_exponential_bucket_histogram"),
        "use explicit_bucket_histogram (the default) or base2_exponential_bucket_histogram, "
        "in lowercase",
        _otlp("metrics"),
    )


def _metric_rows() -> Iterator[Row]:
    yield Row(
        "OTEL_METRIC_EXPORT_INTERVAL",
        _positive_number_of_milliseconds,
        "set it to a positive number of milliseconds, e.g. 60000 (the default)",
        _signal_on("metrics"),
    )
    yield Row(
        "OTEL_METRIC_EXPORT_TIMEOUT",
        _positive_number_of_milliseconds,
        "set it to a positive number of milliseconds, e.g. 30000 (the default)",
        _signal_on("metrics"),
    )
    yield Row(
        "OTEL_METRICS_EXEMPLAR_FILTER",
        _choice("trace_based", "always_on", "always_off"),
        "use trace_based (the default), always_on or always_off, in lowercase",
        _signal_on("metrics"),
    )


ROWS: tuple[Row, ...] = (
    *_processor_rows("OTEL_BSP", "traces", "spans"),
    *_processor_rows("OTEL_BLRP", "logs", "log records"),
    *_limit_rows(),
    *_exporter_rows(),
    *_metric_rows(),
    Row(
        "OTEL_TRACES_SAMPLER_ARG",
        sampler_ratio,
        "use a ratio between 0 and 1, e.g. 0.25",
        lambda p: p.sampler in _RATIO_SAMPLERS,
        blank_ok=True,
    ),
)
"""Every ``OTEL_*`` variable whose value the SDK reads on configure()'s behalf."""

_DEFAULT_QUEUE = 2048
_DEFAULT_BATCH = 512


def _message(name: str, raw: str, reason: str, fix: str) -> str:
    shown = repr(raw) if len(raw) <= 200 else repr(raw[:200] + "...")
    return f"{name}={shown} is not valid: {reason}; {fix}"


def problems(environ: Mapping[str, str], pipeline: Pipeline) -> list[str]:
    """Return one message per variable the SDK would reject or ignore (empty: all good)."""
    found: list[str] = []
    seen: set[str] = set()
    parsed: dict[str, object] = {}
    for row in ROWS:
        raw = environ.get(row.name)
        if raw is None or row.name in seen or not row.applies(pipeline):
            continue
        if not raw.strip() and row.blank_ok:
            continue
        try:
            parsed[row.name] = row.parse(raw) if raw.strip() else _blank()
        except ValueError as exc:
            seen.add(row.name)
            found.append(_message(row.name, raw, str(exc), row.fix))
    for prefix, signal in (("OTEL_BSP", "traces"), ("OTEL_BLRP", "logs")):
        if signal not in pipeline.enabled:
            continue
        queue = parsed.get(f"{prefix}_MAX_QUEUE_SIZE", _DEFAULT_QUEUE)
        batch = parsed.get(f"{prefix}_MAX_EXPORT_BATCH_SIZE", _DEFAULT_BATCH)
        if isinstance(queue, int) and isinstance(batch, int) and batch > queue:
            found.append(
                f"{prefix}_MAX_QUEUE_SIZE ({queue}) is below {prefix}_MAX_EXPORT_BATCH_SIZE "
                f"({batch}): the SDK refuses a batch larger than its queue; raise "
                f"{prefix}_MAX_QUEUE_SIZE to at least {batch} or lower "
                f"{prefix}_MAX_EXPORT_BATCH_SIZE"
            )
    return found


def _blank() -> object:
    raise _Bad("it is empty (the SDK would fail on it or ignore it): unset it instead")


def check(environ: Mapping[str, str], pipeline: Pipeline) -> None:
    """Refuse the first variable the SDK would reject or ignore.

    Raises:
        ConfigurationError: naming the variable, its value and the fix.
    """
    found = problems(environ, pipeline)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ConfigurationError(found[0] + more)
