"""Benchmarks (`make bench` = `python -m benchmarks.run`): speed and size are measured
here, never asserted in timed tests.

A benchmark is a module ``benchmarks/bench_<name>.py`` with ``NAME`` (a short title) and
``run() -> list[Table]``, registered with one line in ``benchmarks.run.BENCHMARKS``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Table:
    """One result table, printed as markdown so it can be pasted into BENCHMARKS.md."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    """Seconds as milliseconds with sensible precision."""
    value = seconds * 1000
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms"
