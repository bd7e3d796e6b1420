"""The start-up SHA-256 is SHA-256: same digests as hashlib, on any interpreter build."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from tests.harness.process import unmeasured
from workspace_otel._guards.sha256 import sha256


def _child_words(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter without coverage (which imports hashlib itself)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=unmeasured(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


@given(st.lists(st.binary(max_size=300), max_size=5))
def test_digests_match_hashlib_whole_and_in_pieces(chunks: list[bytes]) -> None:
    whole = b"".join(chunks)
    incremental = sha256(b"")
    for chunk in chunks:
        incremental.update(chunk)
    assert sha256(whole).hexdigest() == hashlib.sha256(whole).hexdigest()
    assert incremental.hexdigest() == hashlib.sha256(whole).hexdigest()


def test_the_cpython_module_is_used_and_hashlib_is_not_imported() -> None:
    code = (
        "import sys\n"
        "from workspace_otel._guards.sha256 import sha256\n"
        "print(sha256(b'abc').hexdigest(), 'hashlib' in sys.modules, '_hashlib' in sys.modules)\n"
    )
    assert _child_words(code) == [hashlib.sha256(b"abc").hexdigest(), "False", "False"]


def test_an_interpreter_without_cpythons_own_hashes_falls_back_to_hashlib() -> None:
    # A build configured --without-builtin-hashlib-hashes has neither module.
    code = (
        "import sys\n"
        "sys.modules['_sha2'] = sys.modules['_sha256'] = None\n"
        "from workspace_otel._guards.sha256 import sha256\n"
        "print(sha256(b'abc').hexdigest(), 'hashlib' in sys.modules)\n"
    )
    assert _child_words(code) == [hashlib.sha256(b"abc").hexdigest(), "True"]


def test_a_hashlib_already_imported_is_used_and_the_small_module_is_not_loaded() -> None:
    # requests imports hashlib before a configure() start computes its git digests.
    code = (
        "import sys, hashlib\n"
        "from workspace_otel._guards.sha256 import sha256\n"
        "small = {'_sha2', '_sha256'}\n"
        "before = small.intersection(sys.modules)\n"
        "digest = sha256(b'abc').hexdigest()\n"
        "print(digest, sorted(small.intersection(sys.modules) - before))\n"
    )
    assert _child_words(code) == [hashlib.sha256(b"abc").hexdigest(), "[]"]


def test_a_hashlib_still_being_imported_elsewhere_is_passed_over() -> None:
    # Another thread's import lists hashlib in sys.modules before it defines sha256.
    code = (
        "import sys, types\n"
        "sys.modules['hashlib'] = types.ModuleType('hashlib')\n"
        "from workspace_otel._guards.sha256 import sha256\n"
        "print(sha256(b'abc').hexdigest())\n"
    )
    assert _child_words(code) == [hashlib.sha256(b"abc").hexdigest()]
