"""A token printed by a command (a secret manager CLI, a credential helper)."""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Hashable, Iterable, Mapping, Sequence

from workspace_otel._settings._option_parsers import check_interval
from workspace_otel.credentials._command_output import parse_command_output
from workspace_otel.credentials._run_command import DEFAULT_TIMEOUT, run_command
from workspace_otel.credentials._token import Token
from workspace_otel.errors import ConfigurationError

__all__ = ["CommandTokenSource"]


def _digest(parts: Iterable[str]) -> str:
    joined = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()


class CommandTokenSource:
    """Runs a command and reads the token it prints (``command:CMDLINE``).

    The command line is split with :func:`shlex.split` and run **without a
    shell**, with stdin closed, in its own process group, in the current
    directory. It is killed (with its whole group) after ``timeout`` seconds
    or once it prints more than 64 KiB. Its stderr is never logged; a failure
    message includes at most one redacted line of it.

    Output: a raw token (a JWT's ``exp`` gives the expiry), or a JSON object
    ``{"token" | "access_token" | "value": ..., "expires_at" | "expiration":
    RFC 3339 or epoch seconds, "expires_in": seconds}``. A token without a
    known expiry is re-fetched every :attr:`revalidate_interval` seconds.

    Args:
        command: the command line (a string, split with shlex) or an argv list.
        timeout: seconds before the command is killed (default 10).
        environ: environment for the command (inherit when ``None``).
        revalidate_interval: seconds between re-runs for tokens without expiry.
    """

    kind = "command"
    mints_fresh_tokens = False

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
        revalidate_interval: float = 60.0,
    ) -> None:
        if isinstance(command, str):
            try:
                argv = shlex.split(command)
            except ValueError:
                raise ConfigurationError(
                    "the token command line has unbalanced quotes: fix "
                    "WORKSPACE_OTEL_TOKEN_SOURCE=command:..."
                ) from None
        else:
            argv = list(command)
        if not argv or not argv[0]:
            raise ConfigurationError(
                "the token command is empty: set "
                "WORKSPACE_OTEL_TOKEN_SOURCE=command:<program> [args]"
            )
        self.argv: tuple[str, ...] = tuple(argv)
        self.timeout = timeout
        self._environ = None if environ is None else dict(environ)
        self.revalidate_interval = check_interval(
            revalidate_interval, "CommandTokenSource(revalidate_interval=...)"
        )

    @property
    def cache_key(self) -> Hashable:
        """``("command", sha256 of argv, timeout, sha256 of the environment)``.

        Everything that changes the token is in it; arguments and the
        environment may hold secrets, so they appear only hashed.
        """
        environ = None
        if self._environ is not None:
            environ = _digest(f"{k}={v}" for k, v in sorted(self._environ.items()))
        return ("command", _digest(self.argv), self.timeout, environ)

    def fetch(self) -> Token:
        """Run the command once and parse its output.

        Raises:
            TokenError: see :func:`run_command` and :func:`parse_command_output`.
        """
        output = run_command(self.argv, timeout=self.timeout, env=self._environ)
        return parse_command_output(output, self.kind)

    def describe(self) -> str:
        """Return ``command:<program>`` (arguments are left out: they may be secret)."""
        return f"command:{os.path.basename(self.argv[0])}"

    def __repr__(self) -> str:
        return f"CommandTokenSource(program={os.path.basename(self.argv[0])!r})"
