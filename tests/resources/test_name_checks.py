"""The set-test name checks accept exactly what the patterns they replaced accepted.

Each check was a regular expression compiled on every start; the patterns
below are those expressions, matched in full (the old ``re.match`` with a
``$`` anchor also let one trailing newline through, which these checks no
longer accept: that is the only difference, and it is tested on its own).
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from workspace_otel.resources._codespaces import _is_repository, github_repository_attributes
from workspace_otel.resources._gitfiles import is_object_name
from workspace_otel.resources._url import (
    _SEGMENT_CHARS,
    is_dns_label,
    is_dns_name,
    normalize_remote,
)

_OBJECT_NAME = r"(?:[0-9a-f]{40}|[0-9a-f]{64})"
_DNS_NAME = r"[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*"
_DNS_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_REPOSITORY = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
_SEGMENT = r"[A-Za-z0-9._~%\-+]+"

# Mostly the characters the rules are about, with a few outside them.
_near_hex = st.text(alphabet="0123456789abcdefABg\n", min_size=38, max_size=66)
_near_host = st.text(alphabet="abz09-.A_\n", max_size=20)


@given(_near_hex)
def test_object_names_as_the_pattern(text: str) -> None:
    assert is_object_name(text) == bool(re.fullmatch(_OBJECT_NAME, text))


@given(_near_host)
def test_dns_names_and_labels_as_the_patterns(text: str) -> None:
    assert is_dns_name(text) == bool(re.fullmatch(_DNS_NAME, text))
    assert is_dns_label(text) == bool(re.fullmatch(_DNS_LABEL, text))


@given(st.text(alphabet="aZ09_.-/ %~+\n\u00e9", max_size=12))
def test_repositories_and_path_segments_as_the_patterns(text: str) -> None:
    assert _is_repository(text) == bool(re.fullmatch(_REPOSITORY, text))
    assert (bool(text) and _SEGMENT_CHARS.issuperset(text)) == bool(re.fullmatch(_SEGMENT, text))


def test_a_trailing_newline_is_refused_everywhere() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert is_object_name(sha)
    assert not is_object_name(sha + "\n")
    assert not is_dns_name("github.com\n")
    assert not is_dns_label("codespace\n")
    assert github_repository_attributes("https://github.com", "acme/app\n") == {}
    assert github_repository_attributes("https://github.com", "acme/app") != {}


def test_remote_paths_keep_their_rules() -> None:
    assert normalize_remote("git@github.com:acme/app.git") == "https://github.com/acme/app"
    assert normalize_remote("https://github.com/acme/a%20b~c+d.git") == (
        "https://github.com/acme/a%20b~c+d"
    )
    assert normalize_remote("https://github.com/acme/../app") is None
    assert normalize_remote("https://github.com/acme/a b") is None
    assert normalize_remote("https://-bad-.example/acme/app") is None
