"""The pages' SVG charts: no two dates of the trend collide, and no bar's note is cut off."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from api.web import charts

DATE_LABEL = re.compile(r'<text x="([0-9.]+)" y="248.0"[^>]*>(\d\d \w{3} \d\d)</text>')


def trend(count: int) -> str:
    start = date(2026, 1, 31)
    points = [charts.Point(start + timedelta(days=30 * n), "green", Decimal("1.0"), None)
              for n in range(count)]
    return str(charts.health_trend("trend", points))


@pytest.mark.parametrize("count", [1, 2, 8, 9, 10, 11, 12, 13, 17, 24, 30, 61])
def test_the_trends_dates_never_collide_and_the_last_is_always_written(count: int) -> None:
    written = [(float(x), words) for x, words in DATE_LABEL.findall(trend(count))]

    gaps = [b[0] - a[0] for a, b in pairwise(written)]
    assert all(gap >= charts.LABEL_GAP for gap in gaps), (count, written)
    last = date(2026, 1, 31) + timedelta(days=30 * (count - 1))
    assert written[-1][1] == last.strftime("%d %b %y")
    assert written[0][1] == "31 Jan 26"


def test_a_bars_note_fits_inside_its_chart_on_a_large_portfolio() -> None:
    rows = [charts.Bar("Active", Decimal(178), "178 · USD 2.01bn funded", "#000"),
            charts.Bar("Discontinued", Decimal(12), "12 · USD 345.67m released", "#000")]

    drawn = str(charts.bars("by-status", "Projects by status", rows))

    width = int(re.search(r'viewBox="0 0 (\d+) ', drawn).group(1))  # type: ignore[union-attr]
    for x, words in re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" font-size="12"[^>]*>([^<]+)<',
                               drawn):
        assert float(x) + len(words) * charts.NOTE_CHAR_WIDTH <= width, words
