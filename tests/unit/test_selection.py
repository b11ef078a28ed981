"""The exact best selection under a budget, checked against brute force on small portfolios:
every subset of up to 16 candidates enumerated, the feasible ones kept, the best one known."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import Infeasible, InvalidInput
from domain.selection import (
    Candidate,
    FrontierPoint,
    Requirement,
    Selection,
    frontier,
    select,
)

CHECKS = settings(max_examples=200, deadline=None, derandomize=True)


def ident(number: int) -> UUID:
    return UUID(int=number + 1)


def candidate(number: int, cost: str, value: str) -> Candidate:
    return Candidate(ident(number), Decimal(cost), Decimal(value), f"P{number}")


@dataclass(frozen=True)
class Portfolio:
    candidates: tuple[Candidate, ...]
    budget: Decimal
    include: frozenset[UUID]
    exclude: frozenset[UUID]
    requires: tuple[Requirement, ...]


@st.composite
def portfolios(draw: st.DrawFn, most: int = 16) -> Portfolio:
    """Candidates with costs in cents and scores to 4 places, often equal (ties matter), a
    budget anywhere from 0 to a little over their total, pins and dependencies (cycles too)."""
    n = draw(st.integers(0, most))
    cents = draw(st.sampled_from([st.integers(0, 5), st.integers(0, 10_000_000)]))
    points = draw(st.sampled_from([st.integers(0, 3), st.integers(0, 50_000)]))
    numbers = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n, unique=True))
    candidates = tuple(
        Candidate(ident(number), Decimal(draw(cents)).scaleb(-2), Decimal(draw(points)).scaleb(-4),
                  f"P{number}")
        for number in numbers)
    total = sum(c.cost for c in candidates)
    budget = (total * Decimal(draw(st.integers(0, 110))) / 100).quantize(Decimal("0.01"))
    ids = [c.id for c in candidates]
    pins = st.sets(st.sampled_from(ids), max_size=3) if ids else st.just(set[UUID]())
    include, exclude = draw(pins), draw(pins)
    pairs = st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=12) if ids \
        else st.just([])
    requires = tuple(Requirement(p, q) for p, q in draw(pairs))
    return Portfolio(candidates, budget, frozenset(include), frozenset(exclude), requires)


@dataclass(frozen=True)
class Best:
    value: Decimal
    cost: Decimal
    rank_sum: int
    selections: frozenset[frozenset[UUID]]  # every feasible selection with that value, cost, rank
    counts: frozenset[int]  # how many candidates the feasible selections of the best value hold


def brute_force(p: Portfolio, budget: Decimal | None = None) -> Best | None:
    """Every subset as a bit mask, the feasible ones kept: best value, then least cost, then
    the least sum of ranks in id order (1 for the smallest id); None when none is feasible."""
    budget = p.budget if budget is None else budget
    order = sorted(p.candidates, key=lambda c: c.id)
    n = len(order)
    position = {c.id: i for i, c in enumerate(order)}
    masks = np.arange(2**n, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(n)) & 1 if n else np.zeros((1, 0), dtype=np.int64)
    costs = np.array([int(c.cost.scaleb(2)) for c in order], dtype=np.int64)
    values = np.array([int(c.value.scaleb(4)) for c in order], dtype=np.int64)
    cost, value = bits @ costs, bits @ values
    ok = cost <= int(budget.scaleb(2))
    for i in (position[x] for x in p.include):
        ok &= bits[:, i] == 1
    for i in (position[x] for x in p.exclude):
        ok &= bits[:, i] == 0
    for r in p.requires:
        ok &= ~((bits[:, position[r.project]] == 1) & (bits[:, position[r.needs]] == 0))
    if not ok.any():
        return None
    rank = bits @ np.arange(1, n + 1, dtype=np.int64)
    best_value = value[ok].max()
    ok &= value == best_value
    counts = frozenset(int(k) for k in bits[ok].sum(axis=1))
    least_cost = cost[ok].min()
    ok &= cost == least_cost
    least_rank = rank[ok].min()
    ok &= rank == least_rank
    selections = frozenset(frozenset(order[i].id for i in range(n) if bits[m, i])
                           for m in np.flatnonzero(ok))
    return Best(Decimal(int(best_value)).scaleb(-4), Decimal(int(least_cost)).scaleb(-2),
                int(least_rank), selections, counts)


def respects_every_constraint(p: Portfolio, s: Selection) -> None:
    chosen = set(s.selected)
    assert len(chosen) == len(s.selected)
    by_id = {c.id: c for c in p.candidates}
    assert s.total_cost == sum((by_id[x].cost for x in chosen), Decimal(0)) <= p.budget
    assert s.total_value == sum((by_id[x].value for x in chosen), Decimal(0))
    assert p.include <= chosen
    assert not p.exclude & chosen
    for r in p.requires:
        assert r.project not in chosen or r.needs in chosen
    in_order = [c.id for c in p.candidates if c.id in chosen]
    assert list(s.selected) == in_order


def solve(p: Portfolio) -> Selection:
    return select(p.candidates, p.budget, include=p.include, exclude=p.exclude,
                  requires=p.requires)


@CHECKS
@given(portfolios())
def test_the_selection_is_the_brute_force_optimum_and_keeps_every_constraint(
        p: Portfolio) -> None:
    best = brute_force(p)
    if best is None:
        with pytest.raises(Infeasible) as refused:
            solve(p)
        # the checks before solving are complete: each broken constraint is named
        assert refused.value.constraints
        assert not any("solver" in named for named in refused.value.constraints)
        return
    chosen = solve(p)
    respects_every_constraint(p, chosen)
    assert chosen.total_value == best.value
    assert chosen.total_cost == best.cost
    assert frozenset(chosen.selected) in best.selections


@settings(max_examples=100, deadline=None, derandomize=True)
@given(portfolios(most=10), st.randoms(use_true_random=False))
def test_the_same_candidates_in_another_order_give_the_same_selection(
        p: Portfolio, shuffler: random.Random) -> None:
    if brute_force(p) is None:
        return
    shuffled = list(p.candidates)
    shuffler.shuffle(shuffled)
    requires = list(p.requires)
    shuffler.shuffle(requires)
    again = select(shuffled, p.budget, include=p.include, exclude=p.exclude, requires=requires)
    assert set(again.selected) == set(solve(p).selected)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(portfolios(most=12), st.integers(2, 6))
def test_the_frontier_never_falls_and_is_the_brute_force_optimum_at_every_budget(
        p: Portfolio, points: int) -> None:
    pins = Portfolio(p.candidates, p.budget, p.include, p.exclude, p.requires)
    feasible_somewhere = brute_force(pins, sum((c.cost for c in p.candidates), Decimal(0)))
    if feasible_somewhere is None:
        with pytest.raises(Infeasible):
            frontier(p.candidates, points, include=p.include, exclude=p.exclude,
                     requires=p.requires)
        return
    line = frontier(p.candidates, points, include=p.include, exclude=p.exclude,
                    requires=p.requires)
    assert len(line) == points
    budgets = [point.budget for point in line]
    assert budgets == sorted(budgets)
    if not p.include:
        assert budgets[0] == 0
    for earlier, later in itertools.pairwise(line):
        assert earlier.value <= later.value
    for point in line:
        best = brute_force(p, point.budget)
        assert best is not None, point
        assert point.value == best.value
        assert point.selected_count in best.counts


def test_the_frontier_runs_evenly_from_nothing_to_every_candidate() -> None:
    line = frontier([candidate(0, "100.00", "1"), candidate(1, "200.00", "3"),
                     candidate(2, "300.00", "2")], 4)
    assert line == [FrontierPoint(Decimal("0.00"), Decimal("0"), 0),
                    FrontierPoint(Decimal("200.00"), Decimal("3"), 1),
                    FrontierPoint(Decimal("400.00"), Decimal("4"), 2),
                    FrontierPoint(Decimal("600.00"), Decimal("6"), 3)]


def test_a_frontier_has_from_2_to_50_points() -> None:
    for points in (1, 51):
        with pytest.raises(InvalidInput) as refused:
            frontier([candidate(0, "1.00", "1")], points)
        assert refused.value.field == "points"


def test_the_knapsack_a_greedy_choice_gets_wrong_is_solved_exactly() -> None:
    # by value per cost P0 comes first (2.0), and then nothing else fits
    items = [candidate(0, "51.00", "102"), candidate(1, "50.00", "99"),
             candidate(2, "50.00", "99")]
    best = select(items, Decimal("100.00"))
    assert set(best.selected) == {ident(1), ident(2)}
    assert best.total_value == Decimal("198")
    assert best.total_cost == Decimal("100.00")


def test_among_equally_valuable_selections_the_cheapest_is_chosen() -> None:
    items = [candidate(0, "60.00", "5"), candidate(1, "40.00", "5"), candidate(2, "10.00", "0")]
    assert select(items, Decimal("60.00")).selected == (ident(1),)


def test_among_equally_valuable_and_costly_selections_the_earliest_ids_are_chosen() -> None:
    items = [candidate(3, "10.00", "1"), candidate(1, "10.00", "1"), candidate(2, "10.00", "1")]
    assert select(items, Decimal("20.00")).selected == (ident(1), ident(2))


def test_mutual_needs_are_both_or_neither() -> None:
    a, b, c = candidate(0, "50.00", "1"), candidate(1, "50.00", "1"), candidate(2, "60.00", "1.5")
    both = [Requirement(a.id, b.id), Requirement(b.id, a.id)]
    assert select([a, b, c], Decimal("100.00"), requires=both).selected == (a.id, b.id)
    assert select([a, b, c], Decimal("99.99"), requires=both).selected == (c.id,)
    assert select([a, b, c], Decimal("60.00"), include=[c.id], requires=both).selected == (c.id,)


def test_no_candidates_no_budget_and_room_for_everything_are_ordinary_answers() -> None:
    nothing = select([], Decimal("0"))
    assert (nothing.selected, nothing.total_cost, nothing.total_value) == ((), 0, 0)
    items = [candidate(0, "10.00", "1"), candidate(1, "0.00", "2"), candidate(2, "5.00", "3")]
    assert select(items, Decimal("0")).selected == (ident(1),)
    everything = select(items, Decimal("1000000"))
    assert everything.selected == (ident(0), ident(1), ident(2))
    assert everything.total_cost == Decimal("15.00")


def test_the_solver_is_named_with_its_versions() -> None:
    solver = select([candidate(0, "1.00", "1")], Decimal("1")).solver
    assert solver.startswith("scipy 1.")
    assert "optimize.milp (HiGHS" in solver


def test_large_amounts_stay_exact_to_the_cent() -> None:
    items = [candidate(0, "999999999999.99", "5.0001"), candidate(1, "999999999999.98", "5.0000"),
             candidate(2, "0.01", "0.0001")]
    best = select(items, Decimal("1000000000000.00"))
    assert best.selected == (ident(0), ident(2))
    assert best.total_value == Decimal("5.0002")
    assert best.total_cost == Decimal("1000000000000.00")
    # P0 alone and P1 with P2 are worth and cost the same: the earlier id wins
    assert select(items, Decimal("999999999999.99")).selected == (ident(0),)
    assert select(items, Decimal("999999999999.98")).selected == (ident(1),)


def infeasible(*args: object, **kwargs: object) -> list[str]:
    with pytest.raises(Infeasible) as refused:
        select(*args, **kwargs)  # type: ignore[arg-type]
    return refused.value.constraints


def test_a_project_both_included_and_excluded_is_named() -> None:
    p1 = candidate(1, "10.00", "1")
    assert infeasible([p1], Decimal("100"), include=[p1.id], exclude=[p1.id]) == [
        "include P1 and exclude P1"]


def test_an_included_project_that_needs_an_excluded_one_is_named_with_the_chain() -> None:
    p1, p2, p3 = candidate(1, "1.00", "1"), candidate(2, "1.00", "1"), candidate(3, "1.00", "1")
    assert infeasible([p1, p2, p3], Decimal("100"), include=[p2.id], exclude=[p3.id],
                      requires=[Requirement(p2.id, p3.id)]) == [
        "P2 is included but needs P3, which is excluded"]
    assert infeasible([p1, p2, p3], Decimal("100"), include=[p1.id], exclude=[p3.id],
                      requires=[Requirement(p1.id, p2.id), Requirement(p2.id, p3.id)]) == [
        "P1 is included but needs P2, which needs P3, which is excluded"]


def test_included_projects_over_the_budget_are_named_with_their_cost() -> None:
    p1, p2 = candidate(1, "700000.00", "1"), candidate(2, "500000.00", "1")
    assert infeasible([p1, p2], Decimal("1000000"), include=[p1.id, p2.id]) == [
        "include costs 1,200,000.00, over the budget 1,000,000.00"]
    assert infeasible([p1, p2], Decimal("1000000"), include=[p1.id],
                      requires=[Requirement(p1.id, p2.id)]) == [
        "include (with what it needs) costs 1,200,000.00, over the budget 1,000,000.00"]


def test_every_broken_constraint_is_named_at_once() -> None:
    p1, p2 = candidate(1, "700.00", "1"), candidate(2, "500.00", "1")
    found = infeasible([p1, p2], Decimal("100"), include=[p1.id, p2.id], exclude=[p2.id])
    assert found == ["include P2 and exclude P2",
                     "include costs 1,200.00, over the budget 100.00"]


def test_a_candidate_without_a_label_is_named_by_its_id() -> None:
    bare = Candidate(ident(7), Decimal("1"), Decimal("1"))
    assert infeasible([bare], Decimal("1"), include=[bare.id], exclude=[bare.id]) == [
        f"include {bare.id} and exclude {bare.id}"]


@pytest.mark.parametrize(("change", "field"), [
    ({"budget": Decimal("-0.01")}, "budget"),
    ({"budget": Decimal("NaN")}, "budget"),
    ({"include": [ident(99)]}, "include"),
    ({"exclude": [ident(99)]}, "exclude"),
    ({"requires": [Requirement(ident(0), ident(99))]}, "requires[0].needs"),
    ({"requires": [Requirement(ident(99), ident(0))]}, "requires[0].project"),
])
def test_bad_input_is_refused_by_field(change: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"budget": Decimal("10"), **change}
    budget = arguments.pop("budget")
    with pytest.raises(InvalidInput) as refused:
        select([candidate(0, "1.00", "1")], budget, **arguments)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_negative_costs_and_values_and_repeated_candidates_are_refused() -> None:
    for bad, field in (([candidate(0, "-1.00", "1")], "candidates[0].cost"),
                       ([candidate(0, "1.00", "-1")], "candidates[0].value"),
                       ([candidate(0, "1.00", "1"), candidate(0, "2.00", "1")], "candidates[1]")):
        with pytest.raises(InvalidInput) as refused:
            select(bad, Decimal("10"))
        assert refused.value.field == field
