"""The exact best selection of candidates under a budget: a 0-1 integer programme.

Maximise the total value of the selected candidates subject to their total cost within the
budget, every `include` selected, every `exclude` left out, and a project selected only with
every project it needs. Solved by `scipy.optimize.milp` (HiGHS) on integers (money in cents,
scores in ten-thousandths), with the MIP gap at 0, so the optimum is proven, never
approximated; the selection is then checked, and its totals computed, in Decimal.

Which optimum, when several selections share the best value: the one of least total cost;
among those, the one with the least sum of its candidates' ranks in id order (1 for the
smallest id), which favours fewer candidates and earlier ids; a tie left after that is settled
by the solver on a model built in id order, so the same candidates give the same selection
whatever order they come in. Each stage is a proven optimum holding the earlier ones.

Before solving, candidates that no selection of the best value can differ on are fixed by the
linear relaxation's reduced costs (exact: every optimum, and every tie, keeps them), which
turns 2,000 candidates from tens of seconds into about a second.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from uuid import UUID

import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array, csr_array, vstack

from domain.errors import Infeasible, InvalidInput

MIN_POINTS = 2
MONEY_PLACES = 2
# Fix by reduced costs when at least this many candidates are undecided.
REDUCE_FROM = 1
MAX_POINTS = 50
# Integers a double holds exactly: every sum the programme forms stays below this.
EXACT_LIMIT = 2**53


@dataclass(frozen=True)
class Candidate:
    """A project that may be selected: what it costs and what it is worth.

    `label` names it in messages (its code, say); its id when not given.
    """

    id: UUID
    cost: Decimal
    value: Decimal
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or str(self.id)


@dataclass(frozen=True)
class Requirement:
    """`project` may be selected only if `needs` is selected too."""

    project: UUID
    needs: UUID


@dataclass(frozen=True)
class Selection:
    """The proven best selection: ids in the candidates' order, totals in Decimal."""

    selected: tuple[UUID, ...]
    total_cost: Decimal
    total_value: Decimal
    solver: str


@dataclass(frozen=True)
class FrontierPoint:
    """The best value a budget can buy, and how many candidates buy it."""

    budget: Decimal
    value: Decimal
    selected_count: int


def solver_name() -> str:
    """The solver and its versions, as a scenario records it."""
    try:
        from scipy.optimize._highspy import _core

        highs = (f" {_core.HIGHS_VERSION_MAJOR}.{_core.HIGHS_VERSION_MINOR}"
                 f".{_core.HIGHS_VERSION_PATCH}")
    except (ImportError, AttributeError):  # a private module: the version is a courtesy
        highs = ""
    return f"scipy {scipy.__version__} optimize.milp (HiGHS{highs})"


def select(
    candidates: Sequence[Candidate],
    budget: Decimal,
    *,
    include: Collection[UUID] = (),
    exclude: Collection[UUID] = (),
    requires: Sequence[Requirement] = (),
) -> Selection:
    """The exact best selection within `budget`; `Infeasible` when no selection meets the
    constraints, naming them."""
    problem = Problem.of(candidates, include, exclude, requires)
    checked_budget = money(budget, "budget")
    problem.check_feasible(checked_budget)
    return problem.solve(checked_budget)


def frontier(
    candidates: Sequence[Candidate],
    points: int,
    *,
    include: Collection[UUID] = (),
    exclude: Collection[UUID] = (),
    requires: Sequence[Requirement] = (),
) -> list[FrontierPoint]:
    """The exact best value at `points` evenly spaced budgets, from 0 (or, with `include`, the
    cost of what it pins) to the total cost of the candidates that may be selected; budgets
    rounded down to the cent. `selected_count` counts one best selection at that budget (the
    solver's: a frontier solves once a point, without `select`'s tie-breaking stages)."""
    if isinstance(points, bool) or not isinstance(points, int) or not (
            MIN_POINTS <= points <= MAX_POINTS):
        raise InvalidInput("points", f"must be a whole number from {MIN_POINTS} to {MAX_POINTS}")
    problem = Problem.of(candidates, include, exclude, requires)
    problem.check_feasible(None)
    low = problem.pinned_cost
    quantum = Decimal(1).scaleb(-problem.cost_places)
    high = sum((c.cost for c in problem.selectable()), Decimal(0)).quantize(quantum)
    low = low.quantize(quantum)
    step = (high - low) / (points - 1)
    result: list[FrontierPoint] = []
    for index in range(points):
        at = high if index == points - 1 else (low + step * index).quantize(
            quantum, rounding=ROUND_FLOOR)
        best = problem.solve(max(at, low), tie_break=False)
        value = best.total_value
        if result and value < result[-1].value:  # the optimum never falls; a solver fault does
            raise RuntimeError(f"the best value fell from {result[-1].value} to {value}")
        result.append(FrontierPoint(at, value, len(best.selected)))
    return result


def money(amount: object, field: str) -> Decimal:
    """A finite, non-negative Decimal (ints allowed)."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise InvalidInput(field, "must be a decimal amount")
    value = Decimal(amount)
    if not value.is_finite():
        raise InvalidInput(field, "must be a finite amount")
    if value < 0:
        raise InvalidInput(field, "must not be negative")
    return value


def places(amounts: Iterable[Decimal]) -> int:
    """The most decimal places any amount needs (0 for whole amounts)."""
    most = 0
    for amount in amounts:
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            most = max(most, -exponent)
    return most


def zero(amounts: Iterable[Decimal]) -> Decimal:
    """0 with as many places as the amounts are written with: what an empty sum shows."""
    exponents = [a.as_tuple().exponent for a in amounts]
    most = max((-e for e in exponents if isinstance(e, int) and e < 0), default=0)
    return Decimal(0).scaleb(-most)


def grouped(amount: Decimal, decimals: int) -> str:
    """1200000 as 1,200,000.00: how amounts appear in messages."""
    return f"{amount:,.{max(decimals, 2)}f}"


@dataclass(frozen=True)
class Problem:
    """Checked candidates and constraints, in id order, with their integer coefficients."""

    candidates: tuple[Candidate, ...]  # sorted by id
    order: Mapping[UUID, int]  # the caller's order, for the result
    include: frozenset[UUID]
    exclude: frozenset[UUID]
    requires: tuple[Requirement, ...]
    cost_places: int
    value_places: int
    zero_cost: Decimal  # 0 to as many places as the costs are given with
    zero_value: Decimal

    @classmethod
    def of(cls, candidates: Sequence[Candidate], include: Collection[UUID],
           exclude: Collection[UUID], requires: Sequence[Requirement]) -> Problem:
        order: dict[UUID, int] = {}
        for index, candidate in enumerate(candidates):
            if not isinstance(candidate, Candidate):
                raise InvalidInput(f"candidates[{index}]", "must be a candidate")
            if candidate.id in order:
                raise InvalidInput(f"candidates[{index}]", f"repeats {candidate.name}")
            money(candidate.cost, f"candidates[{index}].cost")
            money(candidate.value, f"candidates[{index}].value")
            order[candidate.id] = index
        for field, ids in (("include", include), ("exclude", exclude)):
            for ident in ids:
                if ident not in order:
                    raise InvalidInput(field, f"{ident} is not a candidate")
        for index, requirement in enumerate(requires):
            for end in ("project", "needs"):
                ident = getattr(requirement, end)
                if ident not in order:
                    raise InvalidInput(f"requires[{index}].{end}", f"{ident} is not a candidate")
        ordered = tuple(sorted(candidates, key=lambda c: c.id))
        unique_requires = tuple(sorted(set(requires), key=lambda r: (r.project, r.needs)))
        problem = cls(ordered, order, frozenset(include), frozenset(exclude), unique_requires,
                      max(MONEY_PLACES, places(c.cost for c in ordered)),
                      places(c.value for c in ordered), zero(c.cost for c in ordered),
                      zero(c.value for c in ordered))
        problem.check_size()
        return problem

    def check_size(self) -> None:
        costs = sum(self.scaled(c.cost, self.cost_places) for c in self.candidates)
        values = sum(self.scaled(c.value, self.value_places) for c in self.candidates)
        ranks = len(self.candidates) * (len(self.candidates) + 1) // 2
        if max(costs, values, ranks) >= EXACT_LIMIT:
            raise InvalidInput("candidates", "their total cost or value is too large, or has too"
                               " many decimal places, to be solved exactly")

    @staticmethod
    def scaled(amount: Decimal, decimals: int) -> int:
        return int(amount.scaleb(decimals))

    def by_id(self) -> dict[UUID, Candidate]:
        return {c.id: c for c in self.candidates}

    def needs(self) -> dict[UUID, list[UUID]]:
        graph: dict[UUID, list[UUID]] = {}
        for requirement in self.requires:
            graph.setdefault(requirement.project, []).append(requirement.needs)
        return graph

    def closure(self) -> dict[UUID, list[UUID]]:
        """Every project the included ones need, directly or not, with the path to it (from
        an included project), in id order so the messages are always the same."""
        graph = self.needs()
        paths: dict[UUID, list[UUID]] = {}
        for start in sorted(self.include):
            if start in paths:
                continue
            paths[start] = [start]
            stack = [start]
            while stack:
                current = stack.pop()
                for needed in sorted(graph.get(current, ()), reverse=True):
                    if needed not in paths:
                        paths[needed] = [*paths[current], needed]
                        stack.append(needed)
        return paths

    def blocked(self) -> set[UUID]:
        """Excluded candidates and those needing one, directly or not: never selected."""
        needed_by: dict[UUID, list[UUID]] = {}
        for requirement in self.requires:
            needed_by.setdefault(requirement.needs, []).append(requirement.project)
        out = set(self.exclude)
        stack = list(self.exclude)
        while stack:
            for project in needed_by.get(stack.pop(), ()):
                if project not in out:
                    out.add(project)
                    stack.append(project)
        return out

    def selectable(self) -> list[Candidate]:
        blocked = self.blocked()
        return [c for c in self.candidates if c.id not in blocked]

    @property
    def pinned_cost(self) -> Decimal:
        by_id = self.by_id()
        return sum((by_id[ident].cost for ident in self.closure()), Decimal(0))

    def check_feasible(self, budget: Decimal | None) -> None:
        """Name every constraint no selection can meet. These checks are complete: when they
        pass, selecting the included projects and what they need (and nothing else) is
        feasible, so the solver cannot find the programme infeasible."""
        by_id = self.by_id()
        name = {ident: c.name for ident, c in by_id.items()}
        broken: list[str] = []
        for ident in sorted(self.include & self.exclude):
            broken.append(f"include {name[ident]} and exclude {name[ident]}")
        paths = self.closure()
        for ident, path in paths.items():
            if ident in self.exclude and len(path) > 1:
                through = "".join(f", which needs {name[step]}" for step in path[2:])
                broken.append(f"{name[path[0]]} is included but needs {name[path[1]]}"
                              f"{through}, which is excluded")
        if budget is not None:
            cost = sum((by_id[ident].cost for ident in paths), Decimal(0))
            if cost > budget:
                decimals = max(self.cost_places, places([budget]))
                needed = "" if set(paths) == set(self.include) else " (with what it needs)"
                broken.append(f"include{needed} costs {grouped(cost, decimals)}, over the budget"
                              f" {grouped(budget, decimals)}")
        if broken:
            raise Infeasible(broken)

    def solve(self, budget: Decimal, *, tie_break: bool = True) -> Selection:
        """The proven optimum: best value, then least cost, then the earliest ids; without
        `tie_break`, the best value only (one solve), with the solver's own choice among
        the selections reaching it."""
        n = len(self.candidates)
        if n == 0:
            return Selection((), self.zero_cost, self.zero_value, solver_name())
        index = {c.id: i for i, c in enumerate(self.candidates)}
        costs = np.array([self.scaled(c.cost, self.cost_places) for c in self.candidates],
                         dtype=float)
        values = np.array([self.scaled(c.value, self.value_places) for c in self.candidates],
                          dtype=float)
        ranks = np.arange(1, n + 1, dtype=float)
        # The budget in the costs' own units: total costs are multiples of that unit, so
        # flooring loses nothing; capping at the total keeps the coefficients small.
        limit = min(int(budget.scaleb(self.cost_places).to_integral_value(ROUND_FLOOR)),
                    int(costs.sum()))
        lower = np.zeros(n)
        upper = np.ones(n)
        for ident in self.closure():
            lower[index[ident]] = 1
        for ident in self.blocked():
            upper[index[ident]] = 0
        rows: list[tuple[np.ndarray, float, float]] = [(costs, -np.inf, float(limit))]
        dependency = self.dependency_matrix(index)
        self.fix_by_reduced_costs(values, costs, float(limit), dependency, lower, upper)
        x = np.zeros(n)
        stages = ((values, True), (costs, False), (ranks, False)) if tie_break else (
            (values, True),)
        for objective, maximise in stages:
            x = self.run(objective, maximise, rows, dependency, Bounds(lower, upper))
            # The next stage keeps this one's optimum: integers, so the bound is exact.
            best = float(round(float(objective @ x)))
            rows.append((objective, best, np.inf) if maximise else (objective, -np.inf, best))
        chosen = [self.candidates[i] for i in range(n) if x[i] > 0.5]
        return self.checked(chosen, budget)

    def dependency_matrix(self, index: Mapping[UUID, int]) -> LinearConstraint | None:
        """x[project] - x[needs] <= 0 for every requirement."""
        pairs = [(index[r.project], index[r.needs]) for r in self.requires
                 if r.project != r.needs]
        if not pairs:
            return None
        row_ids = np.repeat(np.arange(len(pairs)), 2)
        columns = np.array([column for pair in pairs for column in pair])
        signs = np.tile([1.0, -1.0], len(pairs))
        matrix = coo_array((signs, (row_ids, columns)), shape=(len(pairs), len(index)))
        return LinearConstraint(matrix.tocsr(), -np.inf, 0)

    def fix_by_reduced_costs(self, values: np.ndarray, costs: np.ndarray, limit: float,
                             dependency: LinearConstraint | None, lower: np.ndarray,
                             upper: np.ndarray) -> None:
        """Fix, in place, the candidates no selection of the best value can differ on.

        The linear relaxation bounds every selection's value: moving a candidate off its
        relaxed value costs at least its reduced cost. A feasible selection (the relaxation
        rounded down, then filled greedily) is a floor under the best value; a candidate whose
        reduced cost exceeds the gap between the two (with a margin for rounding) keeps its
        relaxed value in every selection at least that good, so in every optimum and every
        tie the later stages choose among. The programme left is small, and HiGHS proves it
        quickly; nothing is fixed when the relaxation or the floor is not clean.
        """
        free = lower < upper
        if free.sum() < REDUCE_FROM:
            return
        matrix = csr_array(costs[None, :])
        bounds_ub = [limit]
        if dependency is not None:
            matrix = csr_array(vstack([matrix, dependency.A]))
            bounds_ub += [0.0] * dependency.A.shape[0]
        relaxed = linprog(-values, A_ub=matrix, b_ub=bounds_ub,
                          bounds=np.column_stack([lower, upper]), method="highs")
        if relaxed.status != 0:
            return
        ceiling = -float(relaxed.fun)
        floor = self.greedy(np.floor(relaxed.x + 1e-9), values, costs, int(limit), lower, upper)
        if floor is None:
            return
        gap = ceiling - float(values @ floor)
        margin = gap + 1 + 1e-6 * abs(ceiling)
        at_lower = np.asarray(relaxed.lower.marginals)
        at_upper = -np.asarray(relaxed.upper.marginals)
        upper[free & (at_lower > margin)] = 0
        lower[free & (at_upper > margin)] = 1

    def greedy(self, start: np.ndarray, values: np.ndarray, costs: np.ndarray, limit: int,
               lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """`start` checked in integers, then filled by value per cost with candidates whose
        needs are already in; None if `start` breaks a constraint."""
        x: np.ndarray = np.clip(start, lower, upper)
        index = {c.id: i for i, c in enumerate(self.candidates)}
        needs: dict[int, list[int]] = {}
        for requirement in self.requires:
            needs.setdefault(index[requirement.project], []).append(index[requirement.needs])
        integer_costs = [self.scaled(c.cost, self.cost_places) for c in self.candidates]
        spent = sum(cost for cost, chosen in zip(integer_costs, x, strict=True) if chosen)
        if spent > limit or (x < lower).any() or any(
                x[p] and not x[q] for p, qs in needs.items() for q in qs):
            return None
        ratio = values / np.maximum(costs, 1)
        for i in sorted(range(len(x)), key=lambda i: (-ratio[i], i)):
            if not x[i] and upper[i] and spent + integer_costs[i] <= limit and all(
                    x[q] for q in needs.get(i, ())):
                x[i] = 1
                spent += integer_costs[i]
        return x

    @staticmethod
    def run(objective: np.ndarray, maximise: bool, rows: list[tuple[np.ndarray, float, float]],
            dependency: LinearConstraint | None, bounds: Bounds) -> np.ndarray:
        constraints = [LinearConstraint(np.vstack([row for row, _, _ in rows]),
                                        [low for _, low, _ in rows],
                                        [high for _, _, high in rows])]
        if dependency is not None:
            constraints.append(dependency)
        result = milp(-objective if maximise else objective, constraints=constraints,
                      integrality=np.ones(len(objective)), bounds=bounds,
                      options={"mip_rel_gap": 0.0, "presolve": True})
        if result.status == 2:
            raise Infeasible(["the solver found no selection that meets the budget, the pins"
                              " and the requirements together"])
        if result.status != 0 or result.x is None:
            raise RuntimeError(f"the solver did not prove an optimum: {result.message}")
        rounded: np.ndarray = np.round(result.x)
        return rounded

    def checked(self, chosen: list[Candidate], budget: Decimal) -> Selection:
        """The solver's answer, checked in Decimal against every constraint."""
        ids = {c.id for c in chosen}
        total_cost = sum((c.cost for c in chosen), self.zero_cost)
        broken = []
        if total_cost > budget:
            broken.append(f"costs {total_cost}, over the budget {budget}")
        if not self.include <= ids:
            broken.append("leaves out an included project")
        if ids & self.exclude:
            broken.append("selects an excluded project")
        if any(r.project in ids and r.needs not in ids for r in self.requires):
            broken.append("selects a project without one it needs")
        if broken:
            raise RuntimeError("the solver's selection " + "; ".join(broken))
        ordered = sorted(chosen, key=lambda c: self.order[c.id])
        return Selection(tuple(c.id for c in ordered), total_cost,
                         sum((c.value for c in chosen), self.zero_value), solver_name())
