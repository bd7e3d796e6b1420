"""A JWT's segments decode exactly as ``base64.urlsafe_b64decode`` decodes them.

The decoder avoids importing ``base64`` (budget P12); these properties hold it
to the standard library's answers, errors included.
"""

from __future__ import annotations

import base64
import binascii

from hypothesis import given
from hypothesis import strategies as st

from workspace_otel.credentials._jwt import _b64url


def _standard(segment: str) -> bytes | type[BaseException]:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, ValueError) as exc:
        return type(exc)


def _ours(segment: str) -> bytes | type[BaseException]:
    try:
        return _b64url(segment)
    except (binascii.Error, ValueError) as exc:
        return type(exc)


@given(st.binary(max_size=200))
def test_every_encoded_value_round_trips(raw: bytes) -> None:
    segment = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    assert _b64url(segment) == raw


@given(st.text(alphabet="ABCxyz019-_+/=.$ é\n", max_size=40))
def test_any_text_gets_the_standard_librarys_answer_or_error(segment: str) -> None:
    assert _ours(segment) == _standard(segment)
