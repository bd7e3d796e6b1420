"""The doctor's report: checks, verdicts, and the two renderings (JSON and text).

JSON document (``workspace-otel doctor --json``), version 1::

    {
      "version": 1,
      "ok": true,                      # no check failed (warnings are fine)
      "checks": [                      # always the six checks, in this order
        {
          "id": "platform",            # platform, git, configuration, token,
                                       # endpoint, end_to_end
          "title": "Platform",
          "verdict": "ok",             # ok | warn | fail | skipped
          "summary": "gitpod ...",     # one human line
          "evidence": {...},           # JSON values; secrets only as fingerprints
          "fix": null                  # one concrete fix (str) for fail / warn
          "fixes": [str]               # one fix per problem found (the first is "fix")
        }
      ]
    }

New keys may be added to ``evidence`` in later versions; the keys above keep
their meaning while ``version`` stays 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

__all__ = [
    "SCHEMA_VERSION",
    "VERDICTS",
    "Check",
    "Finding",
    "Report",
    "Verdict",
    "render_json",
    "render_text",
]

SCHEMA_VERSION = 1
Verdict = Literal["ok", "warn", "fail", "skipped"]
VERDICTS: tuple[Verdict, ...] = ("ok", "warn", "fail", "skipped")
_RANK: dict[Verdict, int] = {"skipped": 0, "ok": 1, "warn": 2, "fail": 3}


@dataclass(frozen=True)
class Finding:
    """One problem found inside a check.

    Attributes:
        verdict: ``warn`` or ``fail``.
        message: What is wrong (no secrets).
        fix: What to do about it.
    """

    verdict: Verdict
    message: str
    fix: str | None = None


@dataclass
class Check:
    """The outcome of one check.

    Attributes:
        id: Stable machine name.
        title: Human name.
        verdict: ``ok``, ``warn``, ``fail`` or ``skipped``.
        summary: One line for the human rendering.
        evidence: What was observed (JSON-able values, no secrets).
        fix: The one fix to apply, for ``fail`` and (where useful) ``warn``.
    """

    id: str
    title: str
    verdict: Verdict = "ok"
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None
    fixes: list[str] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        """Record a problem; the check takes the worst verdict and that finding's fix.

        The first finding of the worst verdict supplies the fix and summary, so
        checks add their most fundamental problem first.
        """
        problems = self.evidence.setdefault("problems", [])
        problems.append(f"{finding.verdict}: {finding.message}")
        if finding.fix and finding.fix not in self.fixes:
            self.fixes.append(finding.fix)
        if _RANK[finding.verdict] > _RANK[self.verdict]:
            self.verdict = finding.verdict
            self.summary = finding.message
            self.fix = finding.fix
        elif finding.verdict == self.verdict and self.fix is None:
            self.fix = finding.fix

    def to_json(self) -> dict[str, Any]:
        """Return the check as a JSON object (see the module docs)."""
        return {
            "id": self.id,
            "title": self.title,
            "verdict": self.verdict,
            "summary": self.summary,
            "evidence": self.evidence,
            "fix": self.fix,
            "fixes": self.fixes or ([self.fix] if self.fix else []),
        }


@dataclass
class Report:
    """All checks of one doctor run."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """``True`` when no check failed."""
        return all(check.verdict != "fail" for check in self.checks)

    def get(self, check_id: str) -> Check:
        """Return the check with ``check_id``.

        Raises:
            KeyError: No such check.
        """
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        """Return the report as the version-1 JSON document."""
        return {
            "version": SCHEMA_VERSION,
            "ok": self.ok,
            "checks": [check.to_json() for check in self.checks],
        }


def _clean(value: Any, redact: Callable[[str], str]) -> Any:
    """Make ``value`` JSON-safe and pass every string through ``redact``."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {redact(str(k)): _clean(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_clean(v, redact) for v in items]
    return redact(str(value))


def render_json(report: Report, out: TextIO, redact: Callable[[str], str]) -> None:
    """Write the report as indented JSON, every string redacted."""
    document = _clean(report.to_json(), redact)
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


_TAGS: dict[Verdict, str] = {
    "ok": "[ ok ]",
    "warn": "[warn]",
    "fail": "[FAIL]",
    "skipped": "[skip]",
}
_COLOURS: dict[Verdict, str] = {
    "ok": "\x1b[32m",
    "warn": "\x1b[33m",
    "fail": "\x1b[31;1m",
    "skipped": "\x1b[2m",
}
_RESET = "\x1b[0m"
_INDENT = "       "


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _evidence_lines(evidence: Mapping[str, Any], depth: int) -> list[str]:
    lines: list[str] = []
    pad = _INDENT + "  " * depth
    for key, value in evidence.items():
        if key == "problems" and depth == 0:
            continue
        if isinstance(value, Mapping):
            if not value:
                lines.append(f"{pad}{key}: (none)")
                continue
            lines.append(f"{pad}{key}:")
            lines.extend(_evidence_lines(value, depth + 1))
        elif isinstance(value, Sequence) and not isinstance(value, str):
            if not value:
                lines.append(f"{pad}{key}: (none)")
            elif all(not isinstance(v, (Mapping, list, tuple)) for v in value) and (
                sum(len(_scalar(v)) for v in value) < 70
            ):
                lines.append(f"{pad}{key}: {', '.join(_scalar(v) for v in value)}")
            else:
                lines.append(f"{pad}{key}:")
                for item in value:
                    if isinstance(item, Mapping):
                        lines.extend(_evidence_lines(item, depth + 1))
                    else:
                        lines.append(f"{pad}  - {_scalar(item)}")
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return lines


def render_text(
    report: Report, out: TextIO, redact: Callable[[str], str], *, colour: bool = False
) -> None:
    """Write the human report: one line per check, then indented evidence and fix.

    Args:
        report: The report.
        out: Where to write.
        redact: Applied to every line.
        colour: Use ANSI colours for the verdict tags.
    """
    lines: list[str] = ["workspace-otel doctor", ""]
    for number, check in enumerate(report.checks, start=1):
        tag = _TAGS[check.verdict]
        if colour:
            tag = f"{_COLOURS[check.verdict]}{tag}{_RESET}"
        head = f"{tag} {number}. {check.title}"
        if check.summary:
            head += f": {check.summary}"
        lines.append(head)
        problems = check.evidence.get("problems") or []
        lines.extend(_evidence_lines(check.evidence, 0))
        if len(problems) > 1:
            lines.append(f"{_INDENT}problems:")
            lines.extend(f"{_INDENT}  - {p}" for p in problems)
        for fix in check.fixes or ([check.fix] if check.fix else []):
            lines.append(f"{_INDENT}fix: {fix}")
    failed = sum(1 for c in report.checks if c.verdict == "fail")
    warned = sum(1 for c in report.checks if c.verdict == "warn")
    lines.append("")
    if failed:
        lines.append(f"{failed} check(s) failed, {warned} warning(s): apply the fixes above.")
    elif warned:
        lines.append(f"All checks passed with {warned} warning(s).")
    else:
        lines.append("All checks passed.")
    out.write("".join(redact(line) + "\n" for line in lines))
