"""The real portfolio the benchmarks start from: 1,547 US federal IT projects (2013)."""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATASET = SHARED / "datasets" / "us-federal-it-projects-2013.csv"
MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DatasetProject:
    """One row of the dataset, money in dollars."""

    agency: str
    code: str
    name: str
    investment: str
    planned_cost: Decimal
    start: date
    duration_days: int
    cost_variance_share: float
    delay_share: float


def dollars(millions: str) -> Decimal:
    return (Decimal(millions or "0") * MILLION).quantize(CENT)


@cache
def load(path: Path = DATASET) -> tuple[DatasetProject, ...]:
    """Every project of the dataset, in file order."""
    projects = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            planned = dollars(row["PlannedCost"])
            variance = dollars(row["Cost_Variance"])
            duration = max(1, int(float(row["Planned_Duration"] or 0)))
            projects.append(DatasetProject(
                agency=html.unescape(row["Agency_Name"]),
                code=row["Project_ID"],
                name=html.unescape(row["Project_Name"]).strip() or f"Project {row['Project_ID']}",
                investment=html.unescape(row["Investment_Title"]),
                planned_cost=planned,
                start=date.fromisoformat(row["Start_Date"]),
                duration_days=duration,
                cost_variance_share=float(abs(variance) / planned) if planned else 0.0,
                delay_share=float(row["Project_delay"] or 0) / duration,
            ))
    return tuple(projects)
