"""The one redaction boundary for every text meant for a person.

One module on purpose, though over 400 lines: the registry of secret forms,
its lock and fork reset, and every masker and filter that reads the registry
are one boundary, and callers import exactly one name for it.

Exception messages, log records at every level, CLI and ``doctor`` output and
the SDK's warnings about our inputs pass :func:`scrub`, which knows every
secret value registered with :func:`register_secret`, in every encoding the
library itself produces, and masks anything credential-shaped in text from
outside. URLs are shown by :func:`display_url`: no user-info, no query string.

A masked value reads ``<redacted sha256:xxxxxxxx>``: the first 8 hex digits of
the SHA-256 of what was hidden (:func:`fingerprint`), enough to tell two tokens
apart and useless to an attacker.

Three strengths:

* :func:`scrub_known`: registered secrets only. The log filter uses it; it
  costs one lock-free check when nothing is registered.
* :func:`scrub`: registered secrets plus anything credential-shaped (JWTs,
  ``Bearer x``, GitHub / GitLab tokens, ``key=value`` pairs whose key says
  secret, long opaque strings). For exception texts, ``doctor`` and the CLI.
* :func:`scrub_strict`: :func:`scrub` plus every run of 12 or more
  token-alphabet characters holding a digit or mixed case. For short prose
  from outside (a token command's stderr, an OAuth2 ``error_description``),
  where only words such as ``audience is required`` should survive.

Importing this module is cheap on purpose (it is on the path of every token,
and of ``workspace-otel headers``, budget P12): the patterns are compiled on
the first scrub that needs them, the log filter is built when first
installed, and ``hashlib``, ``json``, ``logging`` and ``urllib.parse`` are
imported by the functions that use them. The encoded forms of a registered
ASCII value are worked out by the first reader of the registry (every scrub,
filter and check reads it through one function), so every form is known
whenever anything looks.
"""

from __future__ import annotations

import threading

from workspace_otel._guards.fork import on_fork_in_child

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    import logging
    import re

__all__ = [
    "ScrubFilter",  # noqa: F822 - defined on first use, by __getattr__ below
    "display_url",
    "fingerprint",
    "forget_all",
    "holds_registered_secret",
    "install_log_filter",
    "looks_like_credential",
    "register_basic_credentials",
    "register_secret",
    "register_url",
    "scrub",
    "scrub_known",
    "scrub_strict",
]

# Shorter values are not registered: replacing "1" or "on" everywhere would
# wreck messages, and such values cannot be meaningful secrets.
_MIN_SECRET_LEN = 6
_SCHEMES = ("bearer", "basic", "token")
# Loggers whose records pass the filter once configure() ran: ours, the SDK's
# OTLP exporters (they log a failed export's URL, server answer and exception)
# and urllib3 (at DEBUG it logs every request line, query string included).
LOGGER_NAMES = (
    "workspace_otel",
    "opentelemetry.exporter.otlp",
    "opentelemetry.exporter.otlp.proto.http",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
    "opentelemetry.exporter.otlp.proto.grpc",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
    "opentelemetry.exporter.otlp.proto.grpc._log_exporter",
    "opentelemetry.exporter.otlp.proto.common",
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
)
_LOGGER_PREFIXES = ("workspace_otel.", "opentelemetry.exporter.otlp.", "urllib3.")

_lock = threading.Lock()
# Longest first, so a secret containing another is replaced whole. Replaced as a
# whole tuple under the lock; readers take the current tuple without locking.
_ordered: tuple[str, ...] = ()
# Insertion-ordered (a dict used as an ordered set): when a long-lived process
# has rotated through many tokens, the oldest forms are forgotten first.
_secrets: dict[str, None] = {}
_MAX_FORMS = 2048
# ASCII values registered but not encoded yet, in registration order: their
# encodings (urllib.parse, json) are worked out by the first reader of the
# registry, so a token read on the headers path (budget P12) costs no import.
# Each reader calls _known() first, so every form is there whenever one looks.
_pending: list[str] = []
_MAX_PENDING = 64


class _Compiled:
    """The patterns, compiled once, on the first scrub that needs them."""

    __slots__ = ("long_run", "mixed_run", "patterns", "secret_key", "space", "token_run")

    def __init__(self) -> None:
        import re

        self.patterns = (
            # JWT / JWS compact serialisation
            re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
            # an authorization scheme followed by a credential
            re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=%-]{6,}"),
            # GitHub and GitLab prefixed tokens
            re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{10,}|github_pat_[A-Za-z0-9_]{10,})"),
            re.compile(r"\bglpat-[A-Za-z0-9_-]{10,}"),
            # key=value / key: value pairs whose key says secret
            re.compile(
                r"(?i)\b([a-z0-9_-]*(token|secret|password|passwd|api[_-]?key|access[_-]?key)"
                r"[a-z0-9_-]*)([\"']?\s*[=:]\s*[\"']?)([^\s,;&\"']{4,})"
            ),
            # long opaque strings (base64 / hex keys)
            re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}"),
        )
        self.secret_key = re.compile(
            r"(?i)key|token|secret|passw|auth|sig|credential|session|code|jwt|bearer"
        )
        self.long_run = re.compile(r"[A-Za-z0-9._~+/=:%-]{12,}")
        # A run of 20+ token-alphabet characters mixing upper case, lower case and
        # digits: what random keys look like, and what ids (UUIDs, hex revisions,
        # timestamps, single-case words) never do.
        self.token_run = re.compile(r"[A-Za-z0-9_]{20,}")
        self.space = re.compile(r"\s")
        self.mixed_run = re.compile(
            r"(?=[A-Za-z0-9_]*[A-Z])(?=[A-Za-z0-9_]*[a-z])(?=[A-Za-z0-9_]*[0-9])[A-Za-z0-9_]{20,}"
        )


_compiled: _Compiled | None = None


def _rx() -> _Compiled:
    global _compiled
    if _compiled is None:
        _compiled = _Compiled()  # two threads racing both compile; either result is right
    return _compiled


_MIN_QUERY_SECRET_LEN = 12


def fingerprint(secret: str) -> str:
    """Return the non-reversible fingerprint shown instead of a secret.

    Args:
        secret: The secret value.

    Returns:
        ``"sha256:"`` and the first 8 hex digits of its SHA-256.
    """
    import hashlib

    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _mask(value: str) -> str:
    return f"<redacted {fingerprint(value)}>"


def _encodings(value: str) -> set[str]:
    import json
    from urllib.parse import quote, quote_plus

    forms = {value, value.strip()}
    pieces = value.strip().split(".")
    if len(pieces) == 3 and all(pieces[:2]):
        forms.add(pieces[2])  # a JWT's signature alone identifies it
    scheme, _, rest = value.strip().partition(" ")
    if rest and scheme.lower() in _SCHEMES:
        forms.add(rest.strip())
    if rest and scheme.lower() == "basic":
        # What a Basic value carries: the user:password pair and the password.
        import base64

        try:
            pair = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except ValueError:
            pair = ""
        if ":" in pair:
            forms.update((pair, pair.partition(":")[2]))
    for form in list(forms):
        forms.add(quote(form, safe=""))
        forms.add(quote(form))
        forms.add(quote_plus(form))
        # As a JSON string quotes it (an error body echoing what it received):
        # a quote, a backslash or a non-ASCII character comes out escaped.
        forms.add(json.dumps(form)[1:-1])
        forms.add(json.dumps(form, ensure_ascii=False)[1:-1])
    return {form for form in forms if len(form) >= _MIN_SECRET_LEN}


def _add(forms: set[str]) -> None:
    _known()  # values registered earlier keep their place in the eviction order
    with _lock:
        _add_locked(forms)


def _add_locked(forms: set[str]) -> None:
    global _ordered
    if not forms <= _secrets.keys():
        for form in forms:
            _secrets.pop(form, None)
            _secrets[form] = None
        while len(_secrets) > _MAX_FORMS:
            del _secrets[next(iter(_secrets))]
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))


def _known() -> tuple[str, ...]:
    """Return every registered form, longest first, encoding pending values first."""
    if _pending:
        import base64  # noqa: F401 - what _encodings imports, before taking the lock
        import json  # noqa: F401 - the same
        import urllib.parse  # noqa: F401 - the same

        with _lock:
            while _pending:
                _add_locked(_encodings(_pending.pop(0)))
    return _ordered


def register_secret(value: str | None) -> None:
    """Remember ``value`` as a secret, so every later scrub masks it.

    Every encoding the library itself produces is registered too: the stripped
    value, the credential of a ``Bearer x`` / ``Basic x`` value (and the
    ``user:password`` pair and password inside a Basic value), and their
    percent-encoded forms (``quote`` with and without ``/`` kept, and
    ``quote_plus`` as in form bodies), each also as a JSON string escapes it
    (an error body quoting what it received). Values shorter than six characters are
    ignored (they cannot be meaningful secrets, and masking them would wreck
    messages).
    """
    if not value or len(value.strip()) < _MIN_SECRET_LEN:
        return
    if not value.isascii():
        _add(_encodings(value))  # encoded now: quoting a lone surrogate raises here, as ever
        return
    with _lock:
        _pending.append(value)
        full = len(_pending) > _MAX_PENDING
    if full:
        _known()


def register_basic_credentials(user: str, password: str | None) -> None:
    """Register ``password`` and the HTTP Basic values built from ``user`` and it.

    Both the base64 of ``user:password`` and of their percent-encoded forms
    (``quote(user, safe=""):quote(password, safe="")``, as OAuth2's
    ``client_secret_basic`` sends them) are registered.
    """
    if not password:
        return
    import base64
    from urllib.parse import quote

    register_secret(password)
    forms: set[str] = set()
    for pair in (f"{user}:{password}", f"{quote(user, safe='')}:{quote(password, safe='')}"):
        encoded = base64.b64encode(pair.encode("utf-8", "surrogatepass")).decode("ascii")
        forms.update(_encodings(encoded))
        forms.update(_encodings(pair))
    _add(forms)


def register_url(url: str | None) -> None:
    """Register a URL's user-info and query-string values as secrets.

    ``https://alice:pw@host/v1?api_key=abcdef`` registers ``alice:pw``, ``pw``
    and ``abcdef`` (raw and percent-decoded). A query value is registered when
    its key sounds secret (key, token, secret, password, auth, signature,
    credential, session, code) or it is 12 characters or longer; short plain
    values such as ``format=protobuf`` are not, so messages stay readable.
    Messages show URLs through :func:`display_url` anyway, without the query.
    """
    if not url:
        return
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        register_secret(userinfo)
        user, _, password = userinfo.partition(":")
        register_secret(user)
        register_secret(password)
        register_secret(unquote(password))
    if parts.query:
        for piece in parts.query.split("&"):
            key, _, raw = piece.partition("=")
            value = unquote(raw.replace("+", " "))
            if _rx().secret_key.search(key) or len(value) >= _MIN_QUERY_SECRET_LEN:
                register_secret(raw)
                register_secret(value)


def scrub_known(text: str, *secrets: str) -> str:
    """Return ``text`` with every registered secret (and ``secrets``) masked."""
    known = _known()
    if not known and not secrets:
        return text
    extra = sorted((s for s in secrets if s and len(s.strip()) >= _MIN_SECRET_LEN), key=len)
    for secret in (*reversed(extra), *known):
        if secret in text:
            text = text.replace(secret, _mask(secret))
    return text


def _replace_pattern(match: re.Match[str]) -> str:
    groups = match.groups()
    if len(groups) == 4 and groups[3] is not None and groups[2] is not None:
        if groups[3].startswith("<redacted"):
            return match.group(0)
        return f"{groups[0]}{groups[2]}{_mask(groups[3])}"
    if groups and groups[0] and groups[0].lower() in _SCHEMES:
        credential = match.group(0)[len(groups[0]) :].strip()
        return f"{groups[0]} {_mask(credential)}"
    return _mask(match.group(0))


def _one_line(text: str, limit: int | None) -> str:
    if limit is None:
        return text
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return text


def scrub(text: str, *secrets: str, limit: int | None = None) -> str:
    """Return ``text`` with every known secret and anything credential-shaped masked.

    Args:
        text: the text to show.
        secrets: extra values to mask in this text only.
        limit: when given, the result is made one line and cut to this length.
    """
    text = scrub_known(text, *secrets)
    for pattern in _rx().patterns:
        text = pattern.sub(_replace_pattern, text)
    return _one_line(text, limit)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if run.startswith("sha256:"):
        return run
    looks_secret = (
        len(run) >= 24
        or any(c.isdigit() for c in run)
        or (any(c.isupper() for c in run[1:]) and any(c.islower() for c in run))
    )
    return _mask(run) if looks_secret else run


def scrub_strict(text: str, *secrets: str, limit: int = 200) -> str:
    """Return :func:`scrub` of ``text`` with every token-like run masked too, on one line.

    Args:
        text: untrusted prose (a helper's stderr, an error description).
        secrets: extra values to mask in this text only; each line of a
            multi-line value counts on its own (a command's stdout).
        limit: maximum length of the result.
    """
    lines = [line.strip() for s in secrets if s for line in (s, *s.splitlines())]
    text = scrub(text, *lines)
    text = _rx().long_run.sub(_mask_run, text)
    return _one_line(text, limit)


def display_url(url: str) -> str:
    """Return ``url`` without user-info, query string or fragment, for messages.

    Text that is not a URL with a host (a setting such as ``always_on``, a
    path) is returned as is, with registered secrets masked.
    """
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if not parts.netloc:
        return scrub_known(url)  # not a URL with a host: shown as is, known secrets masked
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _new_lock_in_child() -> None:
    """After ``fork()`` the lock may be held by a thread that no longer exists."""
    global _lock
    _lock = threading.Lock()


def forget_all() -> None:
    """Forget every registered secret (tests use it to start each case clean)."""
    global _ordered
    with _lock:
        _secrets.clear()
        _pending.clear()
        _ordered = ()


on_fork_in_child(__name__, _new_lock_in_child)


_filter: logging.Filter | None = None


def _new_scrub_filter() -> logging.Filter:
    import logging

    class ScrubFilter(logging.Filter):
        """A logging filter that masks registered secrets in a record's message and args.

        The message is formatted once, scrubbed, and stored back with no args, so
        handlers anywhere (files, the console, an OTel log bridge) see only the
        scrubbed text. Exception text is scrubbed the same way.
        """

        def filter(self, record: logging.LogRecord) -> bool:
            """Scrub ``record`` in place; never drops it."""
            if not _known():
                return True
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken record is the handler's business
                return True
            cleaned = scrub_known(message)
            if cleaned is not message:
                record.msg = cleaned
                record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                text = logging.Formatter().formatException(record.exc_info)
                scrubbed = scrub_known(text)
                if scrubbed != text:
                    record.exc_text = scrubbed
                    record.exc_info = None
            elif record.exc_text:
                record.exc_text = scrub_known(record.exc_text)
            return True

        def __repr__(self) -> str:
            return "ScrubFilter()"

    ScrubFilter.__qualname__ = "ScrubFilter"
    return ScrubFilter()


def _scrub_filter() -> logging.Filter:
    """Return the one scrubbing filter, defining its class on first use (it needs ``logging``)."""
    global _filter
    import logging  # noqa: F401 - imported before taking the lock, never under it

    with _lock:  # one filter, however many threads install it at once
        if _filter is None:
            _filter = _new_scrub_filter()
        return _filter


def __getattr__(name: str) -> object:
    # ``ScrubFilter`` is public but defined on first use: defining it imports logging.
    if name == "ScrubFilter":
        return type(_scrub_filter())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_log_filter() -> None:
    """Attach the scrubbing filter to the library's, the OTLP exporters' and urllib3's loggers.

    Idempotent; ``configure()`` calls it after building the exporters. A
    logger's filter sees only records logged on that very logger, so every
    logger that exists under ``workspace_otel``,
    ``opentelemetry.exporter.otlp`` or ``urllib3`` gets it, plus the names in
    :data:`LOGGER_NAMES` (created if need be).
    """
    import logging

    scrub_filter = _scrub_filter()
    loggers = logging.Logger.manager.loggerDict
    existing = [name for name in list(loggers) if name.startswith(_LOGGER_PREFIXES)]
    for name in {*LOGGER_NAMES, *existing}:
        known = loggers.get(name)
        if isinstance(known, logging.Logger) and scrub_filter in known.filters:
            continue  # configure() and every session call this: most loggers have it
        logger = logging.getLogger(name)
        if scrub_filter not in logger.filters:
            logger.addFilter(scrub_filter)


def holds_registered_secret(text: str) -> bool:
    """Return whether ``text`` contains a value registered with :func:`register_secret`.

    For data that must never carry a secret but cannot be masked (a baggage
    value sent to other services is dropped instead).
    """
    _known()
    with _lock:
        known = tuple(_secrets)
    return any(secret in text for secret in known)


def looks_like_credential(text: str) -> bool:
    """Return whether ``text`` holds a registered secret or something credential-shaped.

    For short values from outside that become data, not prose (an id read from
    the environment, an incoming baggage value): they cannot be masked, only
    dropped. Credential-shaped: a JWT, an authorization scheme with a
    credential, a GitHub / GitLab token, ``key=value`` whose key says secret,
    or a run of 20+ characters mixing upper case, lower case and digits. Ids
    such as UUIDs and hex revisions are not credential-shaped.
    """
    if holds_registered_secret(text):
        return True
    # Each shape needs a character most ids lack: a cheap test first keeps this
    # fit for a per-span path (the key=value search alone costs ~20 us).
    rx = _rx()
    jwt, scheme, github, gitlab, pair = rx.patterns[:-1]
    if "eyJ" in text and jwt.search(text):
        return True
    if rx.space.search(text) and scheme.search(text):
        return True
    if "_" in text and github.search(text):
        return True
    if "glpat-" in text and gitlab.search(text):
        return True
    if ("=" in text or ":" in text) and pair.search(text):
        return True
    return any(rx.mixed_run.fullmatch(run) for run in rx.token_run.findall(text))
