"""What the API reads is exactly what was sent: UTF-8 JSON, plain decimals, RFC 3339 instants.

No lenient parsing a ledger must not have: full-width digits, `1_000` or ` 5 ` as money, a body
in UTF-16, a weight of 1e400 stored as `1E+400`, `as_of=0.5` read as a Unix timestamp.
"""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from e2e_support import Api

from api.http.schemas import MONEY_PATTERN, REQUIRED_TEXT_PATTERN

PORTFOLIO = {"name": "Digital", "budget": "1000.00"}


def named(answer: httpx.Response) -> list[str]:
    return [error["field"] for error in answer.json()["errors"]]


# Money and numbers


@pytest.mark.parametrize(
    "written",
    ["\uff11\uff10", "1_000", " 5 ", "5 ", "1e3", "1,000", "0x10", "NaN", "Infinity", "", "1" * 41],
    ids=["full-width", "underscore", "spaces", "trailing-space", "exponent", "thousands", "hex",
         "nan", "infinity", "empty", "too-long"],
)
def test_money_as_text_is_ascii_digits_one_sign_and_one_point_only(
    api_on_store: Api, written: str
) -> None:
    api = api_on_store
    project = api.project(api.portfolio()["id"])
    before = api.events()

    budget = api.post("/v1/portfolios", {**PORTFOLIO, "budget": written})
    amount = api.decide(project, "fund", amount=written)

    assert (budget.status_code, named(budget)) == (422, ["body.budget"])
    assert (amount.status_code, named(amount)) == (422, ["body.amount"])
    assert api.events() == before


@pytest.mark.parametrize(
    ("number", "field"),
    [("1e400", "budget"), ("1e15", "budget"), ("9" * 5000, "budget"), ("NaN", "budget"),
     ("Infinity", "budget"), ("-Infinity", "budget"), ("1e-400", "budget")],
    ids=["exponent-huge", "beyond-the-maximum", "5000-digits", "nan", "infinity",
         "minus-infinity", "exponent-tiny"],
)
def test_a_json_number_that_does_not_fit_the_field_is_a_422(
    api: Api, number: str, field: str
) -> None:
    answer = api.post_raw("/v1/portfolios", f'{{"name": "Digital", "budget": {number}}}')

    assert (answer.status_code, named(answer)) == (422, [f"body.{field}"])
    assert api.events() == 0


def test_a_json_number_is_money_as_it_is(api: Api) -> None:
    answer = api.post_raw("/v1/portfolios", '{"name": "Digital", "budget": 1.25e3}')

    assert answer.status_code == 201, answer.text
    assert answer.json()["budget"] == "1250.00"


@pytest.mark.parametrize("weight", ["1e400", '"1e400"', "1e-400", '"\uff11"', "NaN"],
                         ids=["huge", "huge-text", "tiny", "full-width", "nan"])
def test_an_objective_weight_that_does_not_fit_is_a_422_not_stored(api: Api, weight: str) -> None:
    body = ('{"name": "Digital", "budget": "10", "objectives": '
            f'[{{"key": "cx", "title": "CX", "weight": {weight}}}]}}')

    answer = api.post_raw("/v1/portfolios", body)

    assert (answer.status_code, named(answer)) == (422, ["body.objectives.0.weight"])
    assert api.events() == 0


def test_a_percent_complete_of_1e400_is_a_422(api: Api) -> None:
    project = api.active_project()

    answer = api.report(project["id"], percent_complete="1e400")
    huge = api.post_raw(f"/v1/projects/{project['id']}/status-reports", json.dumps({
        "period_end": "2026-01-31", "schedule": "green", "cost": "green", "scope": "green",
    })[:-1] + ', "percent_complete": 1e400}')

    assert (answer.status_code, named(answer)) == (422, ["body.percent_complete"])
    assert (huge.status_code, named(huge)) == (422, ["body.percent_complete"])


@pytest.mark.parametrize("cadence", ['"45"', '"4_5"', "45.0", "true"],
                         ids=["text", "underscore", "decimal", "boolean"])
def test_a_cadence_is_a_json_integer(api: Api, cadence: str) -> None:
    answer = api.post_raw(
        "/v1/portfolios", f'{{"name": "P", "budget": 10, "reporting_cadence_days": {cadence}}}')

    assert (answer.status_code, named(answer)) == (422, ["body.reporting_cadence_days"])


# Collections


def test_a_portfolio_with_16000_objectives_is_refused_by_the_size_bound(api: Api) -> None:
    objectives = [{"key": f"k{index}", "title": "T"} for index in range(16_000)]

    answer = api.post("/v1/portfolios", {**PORTFOLIO, "objectives": objectives})

    assert answer.status_code == 422
    assert named(answer) == ["body.objectives"]
    assert "at most 100 items" in answer.json()["errors"][0]["message"]
    assert api.events() == 0


def test_a_project_serving_more_objectives_than_a_portfolio_may_have_is_a_422(api: Api) -> None:
    portfolio = api.portfolio()
    body = {"portfolio_id": portfolio["id"], "name": "P", "requested_budget": "1",
            "objectives": [f"k{index}" for index in range(101)]}

    answer = api.post("/v1/projects", body)

    assert (answer.status_code, named(answer)) == (422, ["body.objectives"])


def test_the_openapi_document_says_what_the_api_accepts(api: Api) -> None:
    schemas = api.get("/openapi.json", role=None).json()["components"]["schemas"]

    decision = schemas["DecisionCreate"]["properties"]
    portfolio = schemas["PortfolioCreate"]["properties"]
    assert decision["rationale"]["maxLength"] == 10_000
    assert "pattern" in decision["rationale"]
    assert "surrogate" in decision["rationale"]["description"]
    assert decision["meeting"]["anyOf"][0]["maxLength"] == 200
    assert portfolio["name"]["maxLength"] == 200
    assert portfolio["objectives"]["maxItems"] == 100
    assert schemas["ProjectCreate"]["properties"]["objectives"]["maxItems"] == 100
    assert schemas["ObjectiveCreate"]["properties"]["key"]["maxLength"] == 64
    money = {branch["type"]: branch for branch in portfolio["budget"]["anyOf"]}
    assert money["string"]["pattern"] == MONEY_PATTERN
    assert (money["number"]["minimum"], money["number"]["multipleOf"]) == (0, 0.01)
    assert portfolio["name"]["pattern"] == REQUIRED_TEXT_PATTERN  # not blank
    as_of = next(p for p in api.get("/openapi.json", role=None).json()["paths"]
                 ["/v1/portfolios"]["get"]["parameters"] if p["name"] == "as_of")
    assert as_of["schema"]["type"] == "string"  # left out, it is absent: never null
    assert "anyOf" not in as_of["schema"]


# Bodies


def test_a_utf16_body_is_a_400_and_records_nothing(api: Api) -> None:
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        answer = api.client.post("/v1/portfolios", content=json.dumps(PORTFOLIO).encode(encoding),
                                 headers=api.headers(content_type="application/json"))

        assert answer.status_code == 400, encoding
        assert answer.json()["type"].endswith("/malformed-json")
    assert api.events() == 0


def test_a_body_with_a_byte_order_mark_or_bytes_that_are_not_utf8_is_a_400(api: Api) -> None:
    bodies = [codecs.BOM_UTF8 + json.dumps(PORTFOLIO).encode(),
              b'{"name": "a\xed\xa0\x80b", "budget": "10"}',  # a surrogate, encoded anyway
              b'{"name": "caf\xe9", "budget": "10"}']  # Latin-1

    for body in bodies:
        answer = api.client.post("/v1/portfolios", content=body,
                                 headers=api.headers(content_type="application/json"))

        assert answer.status_code == 400, body
        assert answer.headers["content-type"] == "application/problem+json"
    assert api.events() == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", None],
    ids=["text", "form", "utf16-charset", "none"],
)
def test_a_body_that_is_not_json_is_a_415(api: Api, content_type: str | None) -> None:
    headers = api.headers()
    if content_type is not None:
        headers["Content-Type"] = content_type

    answer = api.client.post("/v1/portfolios", content=json.dumps(PORTFOLIO).encode(),
                             headers=headers)

    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert api.events() == 0


def test_json_with_a_utf8_charset_or_a_json_suffix_is_json(api: Api) -> None:
    for content_type in ("application/json; charset=UTF-8", "application/merge-patch+json"):
        answer = api.client.post("/v1/portfolios", content=json.dumps(PORTFOLIO).encode(),
                                 headers=api.headers(content_type=content_type))

        assert answer.status_code == 201, (content_type, answer.text)


# as_of


@pytest.mark.parametrize("as_of", ["0.5", "1774958400", "2026-01-01T00:00:00", " 2026-01-01"],
                         ids=["unix-fraction", "unix-seconds", "no-zone", "padded"])
def test_as_of_is_an_rfc3339_instant_or_a_date_never_a_number(api: Api, as_of: str) -> None:
    for path in ("/v1/portfolios", "/v1/projects", "/v1/decisions"):
        answer = api.get(path, as_of=as_of)

        assert (answer.status_code, named(answer)) == (422, ["query.as_of"]), path


def test_as_of_a_date_means_the_end_of_that_day_in_utc(api: Api) -> None:
    answer = api.get("/v1/portfolios", as_of="2026-01-01")

    assert answer.status_code == 200, answer.text
    assert answer.json()["as_of"] == "2026-01-01T23:59:59.999999Z"


def test_as_of_today_means_now_and_a_later_moment_is_a_422(api: Api) -> None:
    api.portfolio()
    now = datetime.now(UTC)
    today = api.get("/v1/portfolios", as_of=now.date().isoformat()).json()
    tomorrow = api.get("/v1/portfolios", as_of=(now + timedelta(days=1)).date().isoformat())
    soon = api.get("/v1/portfolios", as_of=(now + timedelta(minutes=5)).isoformat())

    assert now <= datetime.fromisoformat(today["as_of"]) <= datetime.now(UTC)
    assert today["position"] == 1
    for later in (tomorrow, soon):
        assert (later.status_code, named(later)) == (422, ["query.as_of"])


def test_a_range_bound_is_never_a_number_either(api: Api) -> None:
    answer = api.get("/v1/decisions", since="0.5")

    assert (answer.status_code, named(answer)) == (422, ["query.since"])
