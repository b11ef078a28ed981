"""A write that is recorded stands, even when the views cannot show it at once."""

from __future__ import annotations

import pytest
from e2e_support import Api

from domain.errors import StoreUnavailable


def views_unreachable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The views cannot be claimed, neither inside the write nor after it."""

    def fail(*_: object) -> dict[str, int]:
        raise StoreUnavailable("the event store is unreachable: connection lost")

    monkeypatch.setattr(api.service.database, "claim", fail)


def test_a_decision_recorded_while_the_views_are_unreachable_is_accepted_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a project, and views that cannot catch up after the next write
    project = api.project(api.portfolio()["id"])
    before = api.events()
    views_unreachable(api, monkeypatch)

    # When the board funds it, then retries with the same key
    first = api.decide(project, "fund", amount="1000.00", key="fund-once")
    retry = api.decide(project, "fund", amount="1000.00", key="fund-once")

    # Then the write was accepted (202, where to find it), recorded once, and the retry
    # got the same answer instead of recording it again
    assert first.status_code == 202, first.text
    assert first.headers["Location"] == f"/v1/decisions/{first.json()['id']}"
    assert first.json()["position"] == before + 1
    assert (retry.status_code, retry.json()) == (202, first.json())
    assert api.events() == before + 2  # the portfolio's half and the project's half

    # And once the views catch up, the decision is there, funded once
    monkeypatch.undo()
    api.service.catch_up()
    shown = api.get(first.headers["Location"])
    assert shown.status_code == 200
    assert api.get(f"/v1/projects/{project['id']}").json()["funded"] == "1000.00"


def test_a_project_proposed_while_the_views_are_unreachable_is_accepted(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio = api.portfolio()
    views_unreachable(api, monkeypatch)

    answer = api.post("/v1/projects", {"portfolio_id": portfolio["id"], "name": "Records",
                                       "requested_budget": "10.00"})

    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == f"/v1/projects/{answer.json()['id']}"
    monkeypatch.undo()
    api.service.catch_up()
    assert api.get(answer.headers["Location"]).json()["name"] == "Records"
