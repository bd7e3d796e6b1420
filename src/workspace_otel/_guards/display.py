"""Text from outside shown to a person: every control character as a visible escape.

The one rule for CLI output (``cli/_output.SafeText``) and for names quoted in
the library's own warnings (unknown variables): a terminal never interprets
what the library prints.
"""

from __future__ import annotations

__all__ = ["CONTROL", "visible"]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


# Everything a terminal could interpret except newline and tab: C0, DEL, C1,
# and the bidirectional overrides/isolates, each mapped to its escape (a
# translation table: no ``re`` on the shell-start path, budget P12).
CONTROL = {
    code: _escape(code)
    for first, last in (
        (0x00, 0x08),
        (0x0B, 0x1F),
        (0x7F, 0x9F),
        (0x202A, 0x202E),
        (0x2066, 0x2069),
    )
    for code in range(first, last + 1)
}


def visible(text: str) -> str:
    """Return ``text`` with every control character written as an escape (for logs too)."""
    return text.translate(CONTROL)
