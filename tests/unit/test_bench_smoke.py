"""The benchmark harness: targets, paired ratios and the table, without timing anything."""

from __future__ import annotations

import json
from pathlib import Path

from bench.harness import NotBuilt, Result, Target, pair, percentile, table, write_json


def test_a_ratio_at_or_above_its_floor_meets_a_greater_or_equal_target() -> None:
    target = Target(">=", 0.5)
    assert target.met_by(0.5)
    assert not target.met_by(0.49)


def test_a_ratio_above_its_ceiling_misses_a_less_or_equal_target() -> None:
    target = Target("<=", 1.5)
    assert target.met_by(1.5)
    assert not target.met_by(1.51)


def test_scaling_must_be_strictly_greater_than_one() -> None:
    assert not Target(">", 1.0).met_by(1.0)
    assert Target(">", 1.0).met_by(1.01)


def test_a_sample_takes_the_median_ratio_of_paired_runs_and_shows_their_spread() -> None:
    sample = pair([10.0, 30.0, 20.0], [20.0, 20.0, 20.0])
    assert sample.ratio == 1.0
    assert sample.spread == (0.5, 1.5)
    assert sample.value == 20.0
    assert sample.baseline == 20.0


def test_a_missed_target_is_a_row_that_says_so_not_an_error() -> None:
    row = Result.measured("B4", "rebuild", "sqlite", "ev/s", pair([1.0], [10.0]),
                          Target(">=", 0.5))
    assert row.verdict == "missed"
    assert "NO" in table([row])


def test_a_figure_whose_part_is_not_built_is_reported_as_not_applicable() -> None:
    row = Result.unavailable("B7", "postgresql", str(NotBuilt("projections.audit.seal")))
    assert row.verdict == "n/a"
    assert "n/a (not built yet: projections.audit.seal)" in table([row])


def test_the_nearest_rank_percentile_of_a_hundred_samples_is_the_ninety_ninth() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.99) == 99.0
    assert percentile(samples, 0.5) == 50.0


def test_results_are_written_as_json_with_the_run_metadata(tmp_path: Path) -> None:
    row = Result.measured("B9", "load", "sqlite", "ms", pair([2.0], [1.0]), Target("<=", 3.0))
    path = tmp_path / "out" / "results.json"
    write_json([row], path, {"mode": "quick"})
    document = json.loads(path.read_text())
    assert document["mode"] == "quick"
    assert document["results"][0]["ratio"] == 2.0
    assert document["results"][0]["verdict"] == "met"
