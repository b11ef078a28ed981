"""Measurements against a baseline taken in the same run, their ratios, targets and the table."""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Verdict = Literal["met", "missed", "n/a", "error"]


class NotBuilt(Exception):
    """A figure depends on a part of the ledger that does not exist yet."""

    def __init__(self, part: str) -> None:
        super().__init__(f"n/a (not built yet: {part})")
        self.part = part


@dataclass(frozen=True)
class Target:
    """What a ratio must reach: `>= 0.5`, `<= 1.5` or `> 1`."""

    operator: Literal[">=", "<=", ">"]
    threshold: float

    def met_by(self, ratio: float) -> bool:
        if self.operator == ">=":
            return ratio >= self.threshold
        if self.operator == "<=":
            return ratio <= self.threshold
        return ratio > self.threshold

    def __str__(self) -> str:
        return f"{self.operator} {self.threshold:g}"


@dataclass(frozen=True)
class Sample:
    """Paired measurements of a figure and its baseline: medians, and the ratios' spread."""

    values: tuple[float, ...]
    baselines: tuple[float, ...]
    ratios: tuple[float, ...]

    @property
    def value(self) -> float:
        return statistics.median(self.values)

    @property
    def baseline(self) -> float:
        return statistics.median(self.baselines)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.ratios), max(self.ratios)


def pair(values: Sequence[float], baselines: Sequence[float],
         ratio: Callable[[float, float], float] | None = None) -> Sample:
    """A sample from measurements already paired run by run."""
    divide = ratio or safe_ratio
    return Sample(tuple(values), tuple(baselines),
                  tuple(divide(v, b) for v, b in zip(values, baselines, strict=True)))


def safe_ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.inf


def interleave(figure: Callable[[], float], baseline: Callable[[], float], repeats: int,
               ratio: Callable[[float, float], float] | None = None) -> Sample:
    """Alternate baseline and figure (ABBA order) so machine noise hits both alike."""
    values: list[float] = []
    baselines: list[float] = []
    for run in range(repeats):
        if run % 2 == 0:
            baselines.append(baseline())
            values.append(figure())
        else:
            values.append(figure())
            baselines.append(baseline())
    return pair(values, baselines, ratio)


def rate(work: Callable[[], int]) -> float:
    """Items per second of one call of `work`, which returns how many items it did."""
    started = time.perf_counter()
    done = work()
    elapsed = time.perf_counter() - started
    return done / elapsed if elapsed > 0 else math.inf


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in 0..1) of a non-empty sequence."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Result:
    """One line of the table."""

    figure: str
    label: str
    store: str
    unit: str = ""
    value: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    spread: tuple[float, float] | None = None
    target: str = ""
    verdict: Verdict = "n/a"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def measured(cls, figure: str, label: str, store: str, unit: str, sample: Sample,
                 target: Target | None, note: str = "", **extra: Any) -> Result:
        """A row from a sample; with no target the row is information only."""
        verdict: Verdict = "n/a" if target is None else (
            "met" if target.met_by(sample.ratio) else "missed")
        return cls(figure, label, store, unit, sample.value, sample.baseline, sample.ratio,
                   sample.spread, str(target or ""), verdict, note,
                   {"runs": len(sample.ratios), **extra})

    @classmethod
    def unavailable(cls, figure: str, store: str, reason: str, target: str = "") -> Result:
        return cls(figure, "", store, target=target, verdict="n/a", note=reason)

    @classmethod
    def crashed(cls, figure: str, store: str, error: BaseException, target: str = "") -> Result:
        first = (str(error).splitlines() or [""])[0][:160]
        return cls(figure, "", store, target=target, verdict="error",
                   note=f"error: {type(error).__name__}: {first}")


def number(value: float | None) -> str:
    """Three significant figures, thousands separated; blank for nothing."""
    if value is None:
        return ""
    if math.isinf(value):
        return "inf"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    places = max(0, 2 - magnitude)
    return f"{round(value, places):,.{places}f}"


COLUMNS = ("figure", "store", "value", "baseline", "ratio (min-max)", "target", "meets", "note")


def cells(result: Result) -> tuple[str, ...]:
    unit = f" {result.unit}" if result.unit and result.value is not None else ""
    ratio = number(result.ratio)
    if result.spread is not None and result.extra.get("runs", 1) > 1:
        ratio += f" ({number(result.spread[0])}-{number(result.spread[1])})"
    meets = {"met": "yes", "missed": "NO", "n/a": "-", "error": "ERROR"}[result.verdict]
    name = f"{result.figure} {result.label}".strip()
    return (name, result.store, number(result.value) + unit, number(result.baseline) + unit,
            ratio, result.target, meets, result.note)


def table(results: Sequence[Result]) -> str:
    """A plain-text table, one row per result, columns as wide as their widest cell."""
    rows = [COLUMNS, *(cells(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(results: Sequence[Result]) -> str:
    """The same table in Markdown, for RESULTS.md."""
    rows = [COLUMNS, *(cells(r) for r in results)]
    lines = ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    lines.insert(1, "|" + "|".join(" --- " for _ in COLUMNS) + "|")
    return "\n".join(lines)


def write_json(results: Sequence[Result], path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**meta, "results": [asdict(r) for r in results]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
