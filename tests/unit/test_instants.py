"""`as_of` and range bounds are read one strict way: RFC 3339 with a zone, or a date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from api.instants import NotAnInstant, as_of, date_or_instant

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2026-03-30T17:00:00Z", datetime(2026, 3, 30, 17, tzinfo=UTC)),
        ("2026-03-30t17:00:00z", datetime(2026, 3, 30, 17, tzinfo=UTC)),
        ("2026-03-30T19:00:00.250+02:00", datetime(2026, 3, 30, 17, 0, 0, 250000, tzinfo=UTC)),
        ("2026-03-30T17:00:00.123456789Z", datetime(2026, 3, 30, 17, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-01", datetime.combine(date(2026, 1, 1), time.max, UTC)),
    ],
    ids=["utc", "lower-case", "offset", "nanoseconds", "date-is-its-end"],
)
def test_an_instant_with_a_zone_or_a_date_is_read_in_utc(written: str, meant: datetime) -> None:
    assert as_of(written, now=NOW) == meant


def test_todays_date_means_now_for_the_day_has_not_ended() -> None:
    assert as_of("2026-03-31", now=NOW) == NOW


NOT_INSTANTS = {
    "unix-seconds": "0.5",
    "unix-integer": "1774958400",
    "no-zone": "2026-03-30T17:00:00",
    "no-seconds": "2026-03-30T17:00Z",
    "basic-format": "20260330T170000Z",
    "week-date": "2026-W13-1",
    "full-width": "\uff12\uff10\uff12\uff16-01-01",
    "padded": " 2026-01-01",
    "words": "yesterday",
    "not-a-day": "2026-02-30",
    "not-an-hour": "2026-03-30T25:00:00Z",
    "empty": "",
}


@pytest.mark.parametrize("written", NOT_INSTANTS.values(), ids=NOT_INSTANTS.keys())
def test_anything_else_is_not_an_instant(written: str) -> None:
    with pytest.raises(NotAnInstant):
        as_of(written, now=NOW)


@pytest.mark.parametrize("written", ["2026-03-31T12:00:01Z", "2026-04-01"],
                         ids=["instant", "date"])
def test_a_moment_still_to_come_is_refused(written: str) -> None:
    with pytest.raises(NotAnInstant):
        as_of(written, now=NOW)


@pytest.mark.parametrize("written", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_an_instant_outside_the_range_of_utc_is_refused_as_such(written: str) -> None:
    with pytest.raises(NotAnInstant, match="outside the range"):
        date_or_instant(written)


def test_a_pages_datetime_local_value_means_utc() -> None:
    assert as_of(" 2026-03-30T17:00 ", now=NOW, local=True) == datetime(2026, 3, 30, 17, tzinfo=UTC)
    assert as_of("2026-03-30 17:00:05", now=NOW, local=True) == datetime(
        2026, 3, 30, 17, 0, 5, tzinfo=UTC)
    with pytest.raises(NotAnInstant):
        as_of("0.5", now=NOW, local=True)


def test_a_range_bound_is_a_date_or_an_instant() -> None:
    assert date_or_instant("2026-03-31") == date(2026, 3, 31)
    assert date_or_instant("2026-03-31T17:00:00+02:00") == datetime(2026, 3, 31, 15, tzinfo=UTC)
    with pytest.raises(NotAnInstant):
        date_or_instant("0.5")


def test_a_pages_datetime_local_value_carries_no_zone() -> None:
    with pytest.raises(ValueError):
        as_of("2026-03-30T17:00:00Z", now=NOW, local=True)
