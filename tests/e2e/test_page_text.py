"""The decision form's text goes through the same check as the API's: a browser's CR LF line
ends are kept as LF, a control character is refused in plain words and records nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_dashboard_pages import Site, decision_form, site_on

from api.auth.tokens import Role


@pytest.fixture
def board_site(store_url: str) -> Iterator[Site]:
    with site_on(store_url) as started:
        yield started


def test_a_multi_line_rationale_from_the_form_is_recorded_with_lf_line_ends(
    board_site: Site,
) -> None:
    site = board_site
    project_id = site.project("DG-01")

    answer = decision_form(site.browser(Role.BOARD), project_id, "pause",
                           "Paused pending review.\r\nSee the March minutes.\r\n")

    assert answer.status_code == 303, answer.text
    [decision] = site.service.decision_log(project_id=str(project_id), kind="pause").items
    assert decision.rationale == "Paused pending review.\nSee the March minutes."


@pytest.mark.parametrize("rationale", ["a\x00b", "a\x07b", "x" * 10_001],
                         ids=["nul", "bell", "over-long"])
def test_hostile_text_in_the_form_is_refused_and_records_nothing(
    board_site: Site, rationale: str
) -> None:
    site = board_site
    before = site.events()

    refused = decision_form(site.browser(Role.BOARD), site.project("DG-01"), "pause", rationale)

    assert refused.status_code == 422
    assert "Rationale " in refused.text
    assert site.events() == before


@pytest.mark.parametrize("amount", ["\uff11\uff10", "1_000", "1e3", "5 000"],
                         ids=["full-width", "underscore", "exponent", "inner-space"])
def test_an_amount_the_form_cannot_read_exactly_is_refused_and_records_nothing(
    board_site: Site, amount: str
) -> None:
    site = board_site
    before = site.events()

    refused = decision_form(site.browser(Role.BOARD), site.project("DG-01"), "fund",
                            amount=amount)

    assert refused.status_code == 422
    assert "Amount " in refused.text
    assert site.events() == before


def test_an_amount_with_thousands_separators_is_funded_exactly(board_site: Site) -> None:
    site = board_site
    project_id = site.project("DG-01")

    answer = decision_form(site.browser(Role.BOARD), project_id, "fund", amount=" 25,000.50 ")

    assert answer.status_code == 303, answer.text
    [decision] = site.service.decision_log(project_id=str(project_id), kind="fund").items[-1:]
    assert str(decision.amount) == "25000.50"
