"""What the secret-store sources (``vault``, ``aws-secretsmanager``) share.

* :func:`import_extra` imports a client library on the first fetch, and turns
  its absence into a :class:`ConfigurationError` naming the ``pip install``
  line, so ``import workspace_otel`` and source construction stay free of it.
* :func:`guard_client_logs` makes the client libraries' own log records
  (botocore, boto3, hvac, urllib3) pass the redaction boundary: an
  application that turns logging up to DEBUG sees their request traces with
  every registered secret masked.
* :class:`SecretStatus` is what ``doctor`` shows about the last read: which
  identity logged in, which role and path, the secret's version and age;
  never the value.

The fetch scaffolding itself (lock, lease, catch-all, refusals, fork reset)
is :class:`~workspace_otel.credentials._secret_store_source.SecretStoreSource`.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from datetime import datetime, timezone
from types import ModuleType

from workspace_otel._guards import redaction
from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel.errors import ConfigurationError

__all__ = [
    "CLIENT_LOGGERS",
    "SecretStatus",
    "guard_client_logs",
    "import_extra",
    "parse_time",
]

# The loggers of the clients the secret stores drive, and their children.
CLIENT_LOGGERS = ("botocore", "boto3", "hvac", "urllib3", "requests")


def import_extra(module: str, extra: str, variable: str, kind: str) -> ModuleType:
    """Import ``module`` from an optional extra, or say how to install it.

    Args:
        module: the module to import (``hvac``, ``botocore.session``).
        extra: the extra that provides it (``vault``, ``aws``).
        variable: the variable that chose the source, for the message.
        kind: the source kind, for the message.

    Raises:
        ConfigurationError: the module cannot be imported; the message names
            ``pip install 'workspace-otel[extra]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigurationError(
            f"{variable}={kind} needs the {module.partition('.')[0]} package: "
            f"pip install 'workspace-otel[{extra}]'"
        ) from None


# Wire names of the fields that carry secrets in the stores' requests and
# answers. A client's record that mentions one (botocore logs whole response
# bodies at DEBUG, before this library has seen, let alone registered, the
# value inside) keeps only its first line.
SECRET_FIELDS = (
    "secretstring",
    "secretbinary",
    "secretaccesskey",
    "sessiontoken",
    "webidentitytoken",
    "x-amz-security-token",
    "client_token",
    "x-vault-token",
)
WITHHELD = " [body withheld by workspace_otel: it holds a secret field]"


def _withhold(message: str) -> str:
    lowered = message.lower()
    if not any(name in lowered for name in SECRET_FIELDS):
        return message
    first = message.split("\n", 1)[0]
    if any(name in first.lower() for name in SECRET_FIELDS):
        first = first[: min(lowered.find(n) for n in SECRET_FIELDS if n in lowered)]
    return first.rstrip() + WITHHELD


class _ScrubFilter(logging.Filter):
    """Rewrites a record's message through the redaction boundary."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is shown as its template
            message = str(record.msg)
        record.msg = redaction.scrub(_withhold(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redaction.scrub(_withhold(record.exc_text))
        if record.stack_info:
            record.stack_info = redaction.scrub(record.stack_info)
        return True


_FILTER = _ScrubFilter()
_guard_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    global _guard_lock
    _guard_lock = threading.Lock()  # a parent thread may have been guarding loggers at fork


on_fork_in_child(__name__, _new_lock_after_fork)


def guard_client_logs() -> None:
    """Put the scrubbing filter on every client logger that exists now.

    A logger's filters apply only to records created on that logger, so each
    child (``botocore.endpoint``, ``botocore.parsers``, ``urllib3.connectionpool``
    ...) gets its own; the sources call this after importing their client and
    after each fetch, so loggers a client creates lazily are covered too.
    Idempotent and cheap.
    """
    with _guard_lock:
        manager = logging.Logger.manager
        names = [
            name for name in list(manager.loggerDict) if name.partition(".")[0] in CLIENT_LOGGERS
        ]
        for name in {*CLIENT_LOGGERS, *names}:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)


class SecretStatus:
    """The non-secret facts about the last successful read of a secret.

    A plain immutable class rather than a dataclass: generating a dataclass's
    methods costs every process start that merely configures a secret store.

    Attributes:
        store: ``vault`` or ``aws-secretsmanager``.
        identity: who read it (JWT subject and Vault entity, AWS caller ARN).
        login: how (``jwt role otel-reader at auth/jwt``, ``VAULT_TOKEN``,
            ``assumed role ...``, ``AWS credential chain``).
        location: the secret's path or id, and the field read.
        version: the secret's version (KV v2 version, Secrets Manager version id).
        created: when that version was written, when the store says.
    """

    __slots__ = ("created", "identity", "location", "login", "store", "version")

    store: str
    identity: str
    login: str
    location: str
    version: str
    created: datetime | None

    def __init__(
        self,
        store: str,
        identity: str,
        login: str,
        location: str,
        version: str,
        created: datetime | None = None,
    ) -> None:
        for name, value in (
            ("store", store),
            ("identity", identity),
            ("login", login),
            ("location", location),
            ("version", version),
            ("created", created),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SecretStatus is immutable (cannot set {name})")

    def __repr__(self) -> str:
        created = None if self.created is None else self.created.isoformat(timespec="seconds")
        return (
            f"SecretStatus(store={self.store!r}, identity={self.identity!r}, "
            f"login={self.login!r}, location={self.location!r}, version={self.version!r}, "
            f"created={created!r})"
        )


_ISO = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$"


def parse_time(text: str) -> datetime | None:
    """Parse an RFC 3339 time as stores write it (nanoseconds and ``Z`` included)."""
    match = re.match(_ISO, text.strip())
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if zone in (None, "Z") else zone
    try:
        return datetime.fromisoformat(f"{whole}.{micro}{offset}").astimezone(timezone.utc)
    except ValueError:
        return None
