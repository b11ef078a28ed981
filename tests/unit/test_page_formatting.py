"""How the pages write stored values for people: text, never a programming language's syntax."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.web.formatting import longday, longwhen, readable


def test_stored_values_read_as_text() -> None:
    assert readable(["citizen-experience", "efficiency"]) == "citizen-experience, efficiency"
    assert readable([]) == "none"
    assert readable({"key": "cx", "title": "Citizen experience", "weight": 2}) == (
        "key: cx; title: Citizen experience; weight: 2")
    assert readable([{"key": "cx", "weight": 2}, {"key": "ef", "weight": 1}]) == (
        "key: cx; weight: 2, key: ef; weight: 1")
    assert readable(None) == "\u2013" and readable(True) == "yes"
    assert readable(date(2026, 6, 30)) == "2026-06-30"


def test_dates_and_instants_in_a_sentence() -> None:
    assert longday(date(2026, 6, 30)) == "30 June 2026"
    assert longwhen(datetime(2026, 7, 5, tzinfo=UTC)) == "5 July 2026 00:00 UTC"
    assert longwhen(datetime(2026, 7, 5, 9, 3, 7, 250000, tzinfo=UTC)) == (
        "5 July 2026 09:03:07.25 UTC")
