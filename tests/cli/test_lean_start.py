"""``env`` and ``headers`` run at every shell start and headers-helper call: what they load.

Each command runs in its own interpreter under ``-X importtime``, whose
report names every module the process imported; the heavy ones must not be
among them. A cached answer that is no longer true (an expired token in the
file ``token --watch`` keeps, a detection cache written by another package
version) must still be refused on that lean path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import MakeRepo, cli_env, run_cli
from tests.harness.jwt_validation import JwtValidator
from tests.harness.process import unmeasured
from tests.harness.token_server import TokenServer

# Loaded by neither command when its answer is at hand: the option resolver
# (and with it the SDK variable table), the argument parser, entry points,
# the SDK, and the network and git libraries.
_NEVER = (
    "argparse",
    "importlib.metadata",
    "workspace_otel._settings._options",
    "workspace_otel._settings._sdk_variables",
    "workspace_otel._setup._configure",
    "opentelemetry",
    "requests",
    "urllib3",
    "grpc",
    "git",
)
# What the cached ``env`` answer needs none of, on top of the above: the
# repository is found and fingerprinted, and the cache file named, on text
# paths (pathlib would bring urllib.parse with it), and the digests a hit
# recomputes are SHA-256 from CPython's own module, not hashlib's OpenSSL.
_NEVER_FOR_ENV = (
    "logging",
    "typing",
    "dataclasses",
    "pathlib",
    "urllib",
    "hashlib",
    "_hashlib",
    "workspace_otel.credentials",
)
# What a token read from a file needs none of: logging (only failures and
# DEBUG records use it), dataclasses (Token, Clock, the cache entry), pathlib
# (the file source), hashlib (fingerprints are for messages), typing, and
# urllib (a secret's encoded forms are worked out when first looked for) and
# base64 (a JWT's segments are decoded with binascii).
_NEVER_FOR_HEADERS = (
    "logging",
    "dataclasses",
    "pathlib",
    "hashlib",
    "typing",
    "urllib",
    "base64",
)


# What the installed ``workspace-otel`` script runs (``-m`` would add runpy's imports).
_SCRIPT = "import sys\nfrom workspace_otel.cli import main\nsys.exit(main())\n"
# What the cached ``env`` answer, started as that script, needs none of either:
# importlib (with warnings) and contextlib, which ``-m`` brings in regardless.
_NEVER_FOR_ENV_SCRIPT = ("importlib", "warnings", "contextlib")


def _imported(
    args: list[str], env: dict[str, str], cwd: Path, *, as_script: bool = False
) -> tuple[set[str], str]:
    start = ["-c", _SCRIPT] if as_script else ["-m", "workspace_otel"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *start, *args],
        env=unmeasured(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    return modules, done.stdout


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def _token_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "token"
    path.write_text(token)
    path.chmod(0o600)
    return path


def test_headers_from_a_kept_token_file_loads_nothing_heavy(
    tmp_path: Path, token_server: TokenServer, jwt_validator: JwtValidator
) -> None:
    path = _token_file(tmp_path, token_server.mint(sub="kept", lifetime=600))
    env = cli_env(WORKSPACE_OTEL_TOKEN_SOURCE=f"file:{path}")
    modules, stdout = _imported(["headers"], env, tmp_path)
    assert _heavy(modules, _NEVER + _NEVER_FOR_HEADERS) == []
    assert "workspace_otel.credentials._cache" in modules  # the token still went through it
    claims = jwt_validator.validate_header(json.loads(stdout)["Authorization"])
    assert claims["sub"] == "kept"


def test_a_cached_env_answer_loads_nothing_heavy(make_repo: MakeRepo) -> None:
    repo = make_repo()
    # Both runs unmeasured: the cache answers only the environment it was written for.
    env = unmeasured(cli_env(CODESPACES="true", CODESPACE_NAME="lean-space", GITHUB_USER="ada"))
    first = run_cli("env", "--format", "json", env=env, cwd=repo)
    assert first.returncode == 0, first.stderr
    modules, stdout = _imported(["env", "--format", "json"], env, repo)
    assert _heavy(modules, _NEVER + _NEVER_FOR_ENV) == []
    assert json.loads(stdout) == json.loads(first.stdout)
    assert "workspace.id=lean-space" in json.loads(stdout)["OTEL_RESOURCE_ATTRIBUTES"]
    modules, stdout = _imported(["env", "--format", "json"], env, repo, as_script=True)
    assert _heavy(modules, _NEVER + _NEVER_FOR_ENV + _NEVER_FOR_ENV_SCRIPT) == []
    assert json.loads(stdout) == json.loads(first.stdout)


def test_an_expired_token_in_the_file_is_refused_not_printed(
    tmp_path: Path, token_server: TokenServer
) -> None:
    expired = token_server.mint(sub="old", lifetime=-5)
    path = _token_file(tmp_path, expired)
    done = run_cli("headers", env=cli_env(WORKSPACE_OTEL_TOKEN_SOURCE=f"file:{path}"))
    assert done.returncode != 0
    assert done.stdout == ""
    assert expired not in done.stderr
    assert done.stderr.startswith("workspace-otel headers: ")
    assert done.stderr.count("\n") == 1


def test_a_token_about_to_expire_is_refused_too(tmp_path: Path, token_server: TokenServer) -> None:
    # A ten-minute token with ten seconds left is inside its 30-second margin: never served.
    issued = time.time() - 600
    path = _token_file(tmp_path, token_server.mint(sub="closing", lifetime=610, now=issued))
    done = run_cli("headers", env=cli_env(WORKSPACE_OTEL_TOKEN_SOURCE=f"file:{path}"))
    assert done.returncode != 0
    assert done.stdout == ""


def test_a_detection_cache_from_another_version_is_not_served(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = cli_env(CODESPACES="true", CODESPACE_NAME="real-space", GITHUB_USER="ada")
    assert run_cli("env", env=env, cwd=repo).returncode == 0
    directory = Path(env["XDG_CACHE_HOME"]) / "workspace-otel"
    (entry_path,) = directory.glob("env-*.json")
    entry = json.loads(entry_path.read_text())
    entry["package"] = "0.0.0-other"
    entry["attributes"]["workspace.id"] = "planted-space"
    entry_path.write_text(json.dumps(entry))
    modules, stdout = _imported(["env", "--format", "json"], env, repo)
    assert "workspace.id=real-space" in json.loads(stdout)["OTEL_RESOURCE_ATTRIBUTES"]
    assert "planted-space" not in stdout
    assert "workspace_otel.resources._workspace" in modules  # detected again


def test_a_detection_cache_others_can_write_is_not_served(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = cli_env(CODESPACES="true", CODESPACE_NAME="real-space", GITHUB_USER="ada")
    assert run_cli("env", env=env, cwd=repo).returncode == 0
    directory = Path(env["XDG_CACHE_HOME"]) / "workspace-otel"
    (entry_path,) = directory.glob("env-*.json")
    entry = json.loads(entry_path.read_text())
    entry["attributes"]["workspace.id"] = "planted-space"
    entry_path.write_text(json.dumps(entry))
    entry_path.chmod(0o666)
    modules, stdout = _imported(["env", "--format", "json"], env, repo)
    assert "planted-space" not in stdout
    assert "workspace_otel.resources._workspace" in modules


def test_a_token_is_born_registered_without_compiling_or_logging(tmp_path: Path) -> None:
    # A fresh interpreter: the redaction module's patterns, hashlib and logging
    # wait for the first scrub, fingerprint or log record, and the secret is
    # masked all the same once they are needed.
    secret = "s3cr3t-Value_0123456789abcdef/+"
    code = (
        "import sys\n"
        "from workspace_otel.credentials._token import Token\n"
        "from workspace_otel._guards import redaction\n"
        f"Token({secret!r}, kind='file')\n"
        "print(redaction._compiled is None, *(m in sys.modules for m in "
        "('logging', 'hashlib', 'dataclasses', 'urllib.parse')))\n"
        f"print(redaction.scrub('sent ' + {secret!r} + ' token=abcdefghij'))\n"
        "print(redaction._compiled is not None)\n"
        # the encoded forms, worked out on first read: here, the form-body one
        "from urllib.parse import quote_plus\n"
        f"print(redaction.holds_registered_secret('x=' + quote_plus({secret!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=unmeasured(cli_env()),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lazy, scrubbed, compiled, encoded = done.stdout.splitlines()
    assert lazy == "True False False False False"
    assert secret not in scrubbed
    assert "abcdefghij" not in scrubbed  # the key=value pattern, compiled on demand
    assert scrubbed.count("<redacted sha256:") == 2
    assert compiled == "True"
    assert encoded == "True"
