"""Stand-ins for the ``gp``, ``gitpod`` and ``ona`` CLIs (platforms.md 2.6, 3.2).

:func:`install_fake_clis` writes three executable Python scripts (shebang =
the running interpreter) into ``bin_dir``. For ``<cli> idp token --audience A``
they print what the real CLIs print: the raw JWT and a newline on stdout,
exit 0. Each call fetches a **fresh** token from the token server's test-only
``/mint`` endpoint, so it has the server's current lifetime and key:

* ``gp`` (Gitpod Classic): ``aud`` = the audiences (a list), Gitpod Classic
  claims (``sub`` = context URL, ``azp``, ``workspace_id``, ...);
* ``gitpod`` / ``ona`` (Ona): ``sub`` = ``org:<id>/env:<id>`` and Ona claims.

``--audience`` may repeat (``--audience=A`` works too); ``--decode`` prints
``{"Header": ..., "Payload": ...}`` (indented JSON of an unverified parse)
instead of the token; ``gp`` also takes ``--scope``. Errors look like cobra's
and exit 1 with ``Error: ...`` on stderr: no ``--audience`` ->
``Error: required flag(s) "audience" not set``; unknown flag/command; token
server unreachable.

Fault switches (first match wins): env ``FAKE_CLI_MODE``, file
``<bin_dir>/.fake-cli/<cli>.mode``, file ``<bin_dir>/.fake-cli/mode``
(:meth:`FakeClis.set_mode` writes these). Modes:

``ok``       normal (default)
``fail``     exit 1 with the CLI's realistic error (no supervisor / not logged in)
``hang``     sleep ``FAKE_CLI_HANG_SECONDS`` (default 30) then exit 1 (the caller
             is expected to time out and kill it)
``slow``     sleep ``FAKE_CLI_SLOW_SECONDS`` (default 1) then behave normally
``garbage``  print a non-JWT line, exit 0
``empty``    print nothing, exit 0

``FAKE_CLI_LIFETIME`` (seconds) overrides the token lifetime of one call.
Every invocation appends one JSON line (``prog``, ``argv``, ``pid``, ``at``)
to ``<bin_dir>/.fake-cli/invocations.jsonl``; :meth:`FakeClis.invocations`
reads them back.

The contract says ``install_fake_clis`` returns ``None``; it returns a
:class:`FakeClis` handle instead, which callers may ignore.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .token_server import TokenServer

__all__ = ["CLI_NAMES", "CliInvocation", "CliMode", "FakeClis", "install_fake_clis"]

CliMode = Literal["ok", "fail", "hang", "slow", "garbage", "empty"]
CLI_NAMES = ("gp", "gitpod", "ona")

_PROFILES = {"gp": "gitpod-classic", "gitpod": "ona", "ona": "ona"}
_ERRORS = {
    "gp": (
        "Error: cannot connect to supervisor: rpc error: code = Unavailable desc = "
        'connection error: desc = "transport: Error while dialing: dial tcp '
        '127.0.0.1:22999: connect: connection refused"'
    ),
    "gitpod": 'Error: failed to get ID token: unauthenticated: not logged in (run "gitpod login")',
    "ona": 'Error: failed to get ID token: unauthenticated: not logged in (run "ona login")',
}

_SCRIPT = r'''#!{python}
"""Fake `{prog}` CLI written by tests.harness.fake_clis (test stand-in, not the real tool)."""
import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

CONFIG = json.loads({config!r})
PROG = CONFIG["prog"]
STATE = CONFIG["state_dir"]


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def record(argv):
    line = json.dumps({{"prog": PROG, "argv": argv, "pid": os.getpid(), "at": time.time()}})
    path = os.path.join(STATE, "invocations.jsonl")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def mode():
    env = os.environ.get("FAKE_CLI_MODE")
    if env:
        return env.strip()
    for name in (PROG + ".mode", "mode"):
        try:
            with open(os.path.join(STATE, name)) as handle:
                value = handle.read().strip()
        except OSError:
            continue
        if value:
            return value
    return "ok"


def usage():
    return (
        "Usage:\n  " + PROG + " idp token [flags]\n\nFlags:\n"
        "      --audience stringArray   audience of the ID token\n"
        "      --decode                 decode the token to JSON\n"
        "  -h, --help                   help for token\n"
    )


def parse(args):
    audiences, decode, scope = [], False, None
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in ("--audience", "--scope") and (PROG == "gp" or name == "--audience"):
            if not eq:
                if i + 1 >= len(args):
                    fail("Error: flag needs an argument: " + name)
                i += 1
                value = args[i]
            if name == "--audience":
                audiences.append(value)
            else:
                scope = value
        elif arg == "--decode":
            decode = True
        elif arg in ("-h", "--help"):
            sys.stdout.write(usage())
            sys.exit(0)
        elif arg.startswith("-"):
            fail("Error: unknown flag: " + name + "\n" + usage())
        else:
            fail('Error: unknown command "' + arg + '" for "' + PROG + ' idp token"')
        i += 1
    return audiences, decode, scope


def fetch(audiences):
    query = [("aud", a) for a in audiences] + [("profile", CONFIG["profile"])]
    lifetime = os.environ.get("FAKE_CLI_LIFETIME")
    if lifetime:
        query.append(("lifetime", lifetime))
    url = CONFIG["mint_url"] + "?" + urllib.parse.urlencode(query)
    context = ssl.create_default_context(cafile=CONFIG["ca_file"]) if CONFIG["ca_file"] else None
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            return response.read().decode().strip()
    except (urllib.error.URLError, OSError) as exc:
        fail("Error: failed to get ID token: " + str(getattr(exc, "reason", exc)))


def decoded(token):
    def part(segment):
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    header, payload, _ = token.split(".")
    return json.dumps({{"Header": part(header), "Payload": part(payload)}}, indent=2)


def main(argv):
    record(argv)
    if argv in (["--version"], ["version"]):
        print(PROG + " version 0.0.0-fake")
        return 0
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage())
        return 0
    if argv[:2] != ["idp", "token"]:
        fail('Error: unknown command "' + " ".join(argv[:2]) + '" for "' + PROG + '"\n'
             "Run '" + PROG + " --help' for usage.")
    audiences, decode, _scope = parse(argv[2:])
    if not audiences:
        fail('Error: required flag(s) "audience" not set\n' + usage())
    current = mode()
    if current == "fail":
        fail(CONFIG["error"])
    if current == "hang":
        time.sleep(float(os.environ.get("FAKE_CLI_HANG_SECONDS", "30")))
        fail("Error: context deadline exceeded")
    if current == "slow":
        time.sleep(float(os.environ.get("FAKE_CLI_SLOW_SECONDS", "1")))
    if current == "garbage":
        print("<html><body>Please sign in</body></html>")
        return 0
    if current == "empty":
        return 0
    token = fetch(audiences)
    print(decoded(token) if decode else token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


@dataclass(frozen=True)
class CliInvocation:
    """One recorded run of a fake CLI."""

    prog: str
    argv: list[str]
    pid: int
    at: float


@dataclass(frozen=True)
class FakeClis:
    """Handle on installed fake CLIs.

    Attributes:
        bin_dir: Folder holding ``gp``, ``gitpod``, ``ona`` (put it first on ``PATH``).
        state_dir: Folder holding mode switches and the invocation log.
    """

    bin_dir: Path
    state_dir: Path

    def path(self, prog: str) -> Path:
        """Return the path of one fake CLI."""
        return self.bin_dir / prog

    def path_env(self, base: str | None = None) -> str:
        """Return a ``PATH`` value with :attr:`bin_dir` first (base: current ``PATH``)."""
        rest = os.environ.get("PATH", "") if base is None else base
        return f"{self.bin_dir}{os.pathsep}{rest}" if rest else str(self.bin_dir)

    def set_mode(self, mode: CliMode | None, prog: str | None = None) -> None:
        """Switch all CLIs (or one) to ``mode``; ``None`` clears the switch."""
        target = self.state_dir / ("mode" if prog is None else f"{prog}.mode")
        if mode is None:
            target.unlink(missing_ok=True)
        else:
            target.write_text(mode + "\n")

    def invocations(self, prog: str | None = None) -> list[CliInvocation]:
        """Return recorded runs (of one CLI, or all), oldest first."""
        log = self.state_dir / "invocations.jsonl"
        try:
            lines = log.read_text().splitlines()
        except FileNotFoundError:
            return []
        runs = []
        for line in lines:
            data: dict[str, Any] = json.loads(line)
            run = CliInvocation(data["prog"], list(data["argv"]), int(data["pid"]), data["at"])
            if prog is None or run.prog == prog:
                runs.append(run)
        return runs

    def count(self, prog: str | None = None) -> int:
        """Return how many times the CLIs (or one CLI) ran."""
        return len(self.invocations(prog))


def install_fake_clis(bin_dir: Path, token_server: TokenServer) -> FakeClis:
    """Write ``gp``, ``gitpod`` and ``ona`` into ``bin_dir`` (created if needed).

    Args:
        bin_dir: Target folder.
        token_server: Where the CLIs get their tokens (its ``/mint``).

    Returns:
        A :class:`FakeClis` handle for mode switches and invocation counts.
    """
    bin_dir = Path(bin_dir)
    state_dir = bin_dir / ".fake-cli"
    state_dir.mkdir(parents=True, exist_ok=True)
    ca_file = None if token_server.tls is None else str(token_server.tls.ca_cert)
    for prog in CLI_NAMES:
        config = json.dumps(
            {
                "prog": prog,
                "profile": _PROFILES[prog],
                "mint_url": token_server.mint_url,
                "ca_file": ca_file,
                "state_dir": str(state_dir),
                "error": _ERRORS[prog],
            }
        )
        script = bin_dir / prog
        script.write_text(_SCRIPT.format(python=sys.executable, prog=prog, config=config))
        script.chmod(0o755)
    return FakeClis(bin_dir=bin_dir, state_dir=state_dir)
