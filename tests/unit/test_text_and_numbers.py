"""Free text and written numbers are checked once, by the domain, for every command.

Every free-text field of every command refuses a NUL, another C0 control, half of a surrogate
pair and an over-long value, naming the field, before the aggregate records anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.decisions import Terms, take_on_project
from domain.errors import InvalidInput
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from domain.portfolio import Portfolio, check_objectives
from domain.project import Project
from domain.values import (
    CODE_LENGTH,
    MAX_OBJECTIVES,
    NAME_LENGTH,
    PROSE_LENGTH,
    decimal_text,
    number,
    text,
)

TODAY = date(2026, 3, 31)
BOARD = "board:chair"
HOSTILE = {
    "nul": "a\x00b",
    "bell": "a\x07b",
    "escape": "a\x1bb",
    "delete": "a\x7fb",
    "high-surrogate": "a\ud800b",
    "low-surrogate": "a\udc00b",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_text_with_a_control_character_or_half_a_surrogate_pair_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        text(value, "rationale")

    assert invalid.value.field == "rationale"
    assert invalid.value.message.isascii()  # tells the code point, never echoes the text
    assert f"U+{ord(value[1]):04X}" in invalid.value.message


@pytest.mark.parametrize("value", ["\x1fname", "name\x0c", "\x0b name \x1c", "\x00"])
def test_a_control_character_at_either_end_is_refused_not_trimmed_away(value: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        text(value, "name", required=True)

    assert "control character" in invalid.value.message


def test_tabs_and_newlines_are_kept_and_every_line_end_becomes_lf() -> None:
    assert text(" Line one\r\nLine two\rLine\tthree\n", "rationale") == (
        "Line one\nLine two\nLine\tthree"
    )


def test_a_value_is_measured_as_kept_trimmed_with_lf_line_ends() -> None:
    assert text("x" * 10, "name", max_length=10) == "x" * 10
    assert text("  " + "x\r\n" * 5 + "  ", "name", max_length=10) == "x\n" * 4 + "x"
    with pytest.raises(InvalidInput) as invalid:
        text("x" * 11, "name", max_length=10)
    assert (invalid.value.field, invalid.value.message) == ("name", "is longer than 10 characters")


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidInput) as invalid:
        text(42, "name")  # type: ignore[arg-type]
    assert invalid.value.message == "must be text"


WRITTEN_NUMBERS = {
    "full-width": "\uff11\uff10",
    "arabic-indic": "\u0661\u0660",
    "underscore": "1_000",
    "spaces": " 5 ",
    "exponent": "1e3",
    "two-points": "1.2.3",
    "two-signs": "--1",
    "sign-only": "+",
    "point-only": ".",
    "empty": "",
    "nan": "NaN",
    "infinity": "Infinity",
    "thousands": "1,000",
    "too-long": "1" * 41,
}


@pytest.mark.parametrize("written", WRITTEN_NUMBERS.values(), ids=WRITTEN_NUMBERS.keys())
def test_a_number_written_other_than_in_ascii_digits_sign_and_point_is_refused(
    written: str,
) -> None:
    with pytest.raises(InvalidInput) as invalid:
        decimal_text(written, "amount")

    assert invalid.value.field == "amount"


@pytest.mark.parametrize(
    ("written", "exact"),
    [("10", "10"), ("-1.50", "-1.50"), ("+3", "3"), (".5", "0.5"), ("5.", "5"), ("0.10", "0.10")],
)
def test_a_number_written_plainly_is_read_exactly(written: str, exact: str) -> None:
    assert decimal_text(written, "amount") == Decimal(exact)
    assert str(decimal_text(written, "amount")) == str(Decimal(exact))


@pytest.mark.parametrize(
    "value",
    [Decimal("1e400"), Decimal("1e-400"), Decimal("NaN"), Decimal("-1"), True, 0.5, "1e400"],
    ids=["huge", "tiny", "nan", "negative", "bool", "float", "exponent-text"],
)
def test_a_number_that_does_not_fit_its_field_is_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as invalid:
        number(value, "weight", maximum=Decimal(1_000_000))

    assert invalid.value.field == "weight"


def test_an_objective_weight_of_1e400_is_refused_not_stored() -> None:
    with pytest.raises(InvalidInput) as invalid:
        check_objectives([{"key": "cx", "title": "CX", "weight": Decimal("1e400")}])

    assert invalid.value.field == "objectives[0].weight"


def test_sixteen_thousand_objectives_are_refused_by_the_size_bound() -> None:
    many = [{"key": f"k{index}", "title": "T"} for index in range(16_000)]

    with pytest.raises(InvalidInput) as invalid:
        check_objectives(many)

    assert invalid.value.field == "objectives"


def test_the_most_objectives_allowed_are_checked_for_duplicates_by_key() -> None:
    most = [{"key": f"k{index}", "title": "T"} for index in range(MAX_OBJECTIVES)]
    assert len(check_objectives(most)) == MAX_OBJECTIVES

    most[-1]["key"] = "k7"
    with pytest.raises(InvalidInput) as invalid:
        check_objectives(most)
    assert invalid.value.field == f"objectives[{MAX_OBJECTIVES - 1}].key"


# Every free-text field of every command, checked before anything is recorded


def portfolio() -> Portfolio:
    opened = Portfolio.open(name="Digital", budget=Decimal("1000.00"), actor=BOARD,
                            objectives=[{"key": "cx", "title": "Customer experience"}])
    opened.collect_events()
    return opened


def project(owner: Portfolio, *, active: bool = False) -> Project:
    proposed = Project.propose(portfolio_id=owner.id, name="Portal", code="P-1",
                               requested_budget=Decimal("100.00"), actor=BOARD,
                               proposed_on=TODAY)
    if active:
        proposed.apply_decision(DecisionKind.FUND, Decimal("100.00"), uuid4(), BOARD)
    proposed.collect_events()
    return proposed


def open_with(field: str, value: str) -> list[Any]:
    terms: dict[str, Any] = {"name": "Digital", "currency": "USD", "actor": BOARD,
                             "objectives": [{"key": "cx", "title": "CX"}]}
    if field.startswith("objectives[0]."):
        terms["objectives"][0][field.removeprefix("objectives[0].")] = value
    else:
        terms[field] = value
    return Portfolio.open(budget=Decimal("10.00"), **terms).collect_events()


def propose_with(field: str, value: str) -> list[Any]:
    owner = portfolio()
    terms: dict[str, Any] = {"name": "Portal", "code": "P-1", "sponsor": "Ana", "manager": "Bo",
                             "objectives": ["cx"], "actor": BOARD}
    if field == "objectives[0]":
        terms["objectives"] = [value]
    else:
        terms[field] = value
    return Project.propose(portfolio_id=owner.id, requested_budget=Decimal("1.00"),
                           known_objectives=owner.objective_keys(), **terms).collect_events()


def report_with(field: str, value: str) -> list[Any]:
    delivering = project(portfolio(), active=True)
    report = StatusReport(period_end=TODAY, schedule=Rating.GREEN, cost=Rating.GREEN,
                          scope=Rating.GREEN, summary=value if field == "summary" else "Fine")
    delivering.report_status(report, TODAY, value if field == "actor" else BOARD)
    return delivering.collect_events()


def complete_with(field: str, value: str) -> list[Any]:
    delivering = project(portfolio(), active=True)
    delivering.complete(value if field == "summary" else "Done",
                        value if field == "actor" else BOARD)
    return delivering.collect_events()


def decide_with(field: str, value: str) -> list[Any]:
    owner = portfolio()
    proposed = project(owner)
    terms: dict[str, Any] = {"rationale": "Board minute", "meeting": "March board"}
    if field in terms:
        terms[field] = value
    checked = Terms.checked(DecisionKind.FUND, amount=Decimal("10.00"), today=TODAY, **terms)
    taken = take_on_project(checked, owner, proposed,
                            actor=value if field == "actor" else BOARD, assessed_on=TODAY)
    taken.record(owner)
    return [*owner.collect_events(), *proposed.collect_events()]


BENIGN = {"currency": "EUR", "objectives[0]": "cx"}
FIELDS: list[tuple[str, Callable[[str, str], list[Any]], str, int]] = [
    ("open portfolio", open_with, "name", NAME_LENGTH),
    ("open portfolio", open_with, "currency", 3),
    ("open portfolio", open_with, "objectives[0].key", CODE_LENGTH),
    ("open portfolio", open_with, "objectives[0].title", NAME_LENGTH),
    ("open portfolio", open_with, "actor", NAME_LENGTH),
    ("propose project", propose_with, "name", NAME_LENGTH),
    ("propose project", propose_with, "code", CODE_LENGTH),
    ("propose project", propose_with, "sponsor", NAME_LENGTH),
    ("propose project", propose_with, "manager", NAME_LENGTH),
    ("propose project", propose_with, "objectives[0]", CODE_LENGTH),
    ("propose project", propose_with, "actor", NAME_LENGTH),
    ("report status", report_with, "summary", PROSE_LENGTH),
    ("report status", report_with, "actor", NAME_LENGTH),
    ("complete project", complete_with, "summary", PROSE_LENGTH),
    ("complete project", complete_with, "actor", NAME_LENGTH),
    ("decide", decide_with, "rationale", PROSE_LENGTH),
    ("decide", decide_with, "meeting", NAME_LENGTH),
    ("decide", decide_with, "actor", NAME_LENGTH),
]


@pytest.mark.parametrize(("command", "field"), [(c, f) for c, _, f, _ in FIELDS],
                         ids=[f"{c}-{f}" for c, _, f, _ in FIELDS])
@pytest.mark.parametrize("hostile", ["nul", "bell", "high-surrogate", "over-long"])
def test_every_free_text_field_of_every_command_refuses_hostile_text(
    command: str, field: str, hostile: str
) -> None:
    run, limit = next((run, limit) for c, run, f, limit in FIELDS if (c, f) == (command, field))
    value = "x" * (limit + 1) if hostile == "over-long" else HOSTILE[hostile]
    assert run(field, BENIGN.get(field, "Fine"))  # the same command with a fine value records

    with pytest.raises(InvalidInput) as invalid:
        run(field, value)

    assert invalid.value.field == field


def test_a_project_serves_at_most_as_many_objectives_as_a_portfolio_may_have() -> None:
    owner = portfolio()
    with pytest.raises(InvalidInput) as invalid:
        Project.propose(portfolio_id=owner.id, name="Portal", requested_budget=Decimal("1.00"),
                        objectives=[f"k{index}" for index in range(MAX_OBJECTIVES + 1)],
                        actor=BOARD)

    assert invalid.value.field == "objectives"


def test_a_projects_objective_keys_are_trimmed_like_the_portfolios() -> None:
    owner = portfolio()
    served = Project.propose(portfolio_id=owner.id, name="Portal",
                             requested_budget=Decimal("1.00"), objectives=[" cx ", "cx"],
                             known_objectives=owner.objective_keys(), actor=BOARD)

    assert served.objectives == ["cx"]
