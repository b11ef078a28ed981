"""An event one view cannot apply: the writes stand, the other views go on, healthz says so."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import Api, serving

from projections.views.decisions import DecisionLog

POISON = "board: fund (the decision log cannot apply this one)"


class CannotApply(Exception):
    """What a view's handler raises for the one event it cannot apply."""


def decision_log_refusing_the_poison(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every decision log in this process raises for the decision with the poison rationale,
    on every store (PostgreSQL also refuses a NUL for real: tests/integration/test_halted_views.py).
    """
    original = DecisionLog.__dict__["process_event"]

    def handle(view: DecisionLog, event: Any, sql: Any, position: int) -> None:
        if getattr(event, "rationale", None) == POISON:
            raise CannotApply("no room for this rationale")
        original.__get__(view, DecisionLog)(event, sql, position)

    monkeypatch.setattr(DecisionLog, "process_event", handle)


def test_a_decision_the_decision_log_cannot_apply_is_accepted_and_the_rest_goes_on(
    api_on_store: Api, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    api = api_on_store
    decision_log_refusing_the_poison(monkeypatch)
    project = api.project(api.portfolio()["id"])
    funded = api.fund(project, "10.00")

    # When the board records a decision the decision log cannot apply
    poisoned = api.decide(project, "fund", amount="20.00", rationale=POISON)

    # Then the write is accepted as recorded, not yet shown
    assert poisoned.status_code == 202, poisoned.text
    position = poisoned.json()["position"]
    assert api.events() >= position

    # ... later writes answer 201 from the views that show them, a later decision 202
    later = api.project(api.portfolio()["id"])
    report = api.report(project["id"])
    assert report.status_code == 201, report.text
    assert api.get(f"/v1/projects/{project['id']}").json()["funded"] == "30.00"
    decided = api.decide(later, "fund", amount="5.00")
    assert decided.status_code == 202, decided.text

    # ... the decision log still answers, with what it has and where it stands
    log = api.get("/v1/decisions")
    assert log.status_code == 200
    assert [item["id"] for item in log.json()["items"]] == [funded["id"]]
    assert log.json()["position"] == position - 1
    assert api.get(poisoned.headers["Location"]).status_code == 404

    # ... and healthz on every API process on this database says which view halted, where, why
    with serving(store_url, secrets=api.secrets) as elsewhere:
        for health in (api.client.get("/v1/healthz"), elsewhere.client.get("/v1/healthz")):
            assert health.status_code == 200
            body = health.json()
            assert body["status"] == "degraded"
            assert body["store"] == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
            assert body["projection_lag"] == api.events() - position + 1
            [halted] = body["halted"]
            assert (halted["projection"], halted["position"]) == ("decisions", position)
            assert halted["error"] == "CannotApply: no room for this rationale"


def test_healthz_is_ok_with_no_halted_view(api: Api) -> None:
    api.portfolio()

    body = api.client.get("/v1/healthz").json()

    assert (body["status"], body["halted"]) == ("ok", [])
