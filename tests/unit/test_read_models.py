"""Each API response body is a read model of the ledger under the API's name: the same fields,
in the same order, written the same way, so a field added to a read model shows in the API."""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.http import schemas
from api.http.routes import (
    audit,
    decision_support,
    decisions,
    governance,
    operations,
    portfolios,
    projects,
)
from projections.models import Composition, PortfolioAt, ProjectStanding, ProjectView, ReadModel


def same_type(public: typing.Any, model: typing.Any) -> bool:
    """Two field types alike, a response model standing for the read model it derives from."""
    if public == model:
        return True
    if isinstance(public, type) and isinstance(model, type) and issubclass(public, BaseModel):
        return issubclass(public, model) and same_shape(public, model)
    public_args, model_args = typing.get_args(public), typing.get_args(model)
    return (typing.get_origin(public) is typing.get_origin(model) is not None
            and len(public_args) == len(model_args)
            and all(same_type(p, m) for p, m in zip(public_args, model_args, strict=True)))


def same_shape(public: type[BaseModel], model: type[BaseModel]) -> bool:
    mine, theirs = public.model_fields, model.model_fields
    return list(mine) == list(theirs) and all(
        same_type(mine[name].annotation, theirs[name].annotation)
        and mine[name].metadata == theirs[name].metadata
        for name in mine
    )


def test_every_response_body_has_exactly_the_fields_of_its_read_model() -> None:
    for public, model in schemas.RESPONSES.items():
        assert issubclass(model, ReadModel), public.__name__
        assert same_shape(public, model), public.__name__
        assert public.__doc__, f"{public.__name__} has no docstring for its OpenAPI entry"


def test_every_json_route_answers_with_a_response_body_derived_from_a_read_model() -> None:
    answered = set()
    for module in (portfolios, projects, decisions, governance, decision_support,
                   operations, audit):
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            model = route.response_model
            if isinstance(model, type) and model.__module__ == schemas.__name__:
                assert model in schemas.RESPONSES, f"{route.path}: {model.__name__}"
                answered.add(model)
    assert answered >= {schemas.PortfolioPublic, schemas.ProjectPage, schemas.HealthTrend,
                        schemas.DecisionPublic, schemas.CompositionPublic, schemas.HistoryPage,
                        schemas.ServiceHealth}


def test_a_field_added_to_a_read_model_is_in_the_api_model_derived_from_it() -> None:
    class Wider(ProjectView):
        """A read model with one more field."""

        cpi: Decimal | None = None

    class WiderPublic(Wider):
        """Its response body."""

    assert "cpi" in WiderPublic.model_json_schema()["properties"]
    assert list(ProjectStanding.model_fields)[-2:] == ["cpi", "spi"]


def test_a_response_body_writes_a_read_model_as_the_read_model_writes_itself() -> None:
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    portfolio = PortfolioAt(
        as_of=now, position=7, id=uuid4(), name="Digital", currency="USD",
        budget=Decimal("1000"), allocated=Decimal("0.5"), available=Decimal("999.5"),
        reporting_cadence_days=45, objectives=[{"key": "k", "title": "T", "weight": "1.5"}],
        policy={"approvals_required": 1, "motion_days": 30}, created_on=now.date(),
        created_at=now, created_by="board", version=1)
    body = TypeAdapter(schemas.PortfolioPublic)

    written = body.dump_json(body.validate_python(portfolio, from_attributes=True))

    assert written == portfolio.model_dump_json().encode()
    assert b'"budget":"1000.00","allocated":"0.50","available":"999.50"' in written
    assert written.startswith(
        b'{"as_of":"2026-03-31T12:00:00Z","position":7,"effective_on":null,"id":')


def test_read_models_are_frozen() -> None:
    composition = Composition(
        as_of=datetime.now(UTC), position=0, portfolio_id=uuid4(), budget=Decimal(1),
        allocated=Decimal(0), available=Decimal(1), by_status={}, by_health={}, projects=[])
    with pytest.raises(ValidationError, match="frozen"):
        composition.budget = Decimal(2)  # type: ignore[misc]
