"""The weights of a portfolio's objectives: given directly, or derived from the board's
pairwise comparisons by the analytic hierarchy process (AHP).

Comparisons on Saaty's 1-9 scale fill a reciprocal matrix (a[i][j] = ratio when i is `ratio`
times as important as j, a[j][i] = 1/ratio); the weights are its principal eigenvector,
normalised to sum 1, and the consistency ratio CR = CI / RI, with CI = (lambda_max - n) / (n - 1)
and RI Saaty's random index for n objectives. CR above 0.10 means the comparisons contradict
each other too much to be used, unless the board accepts them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np

from domain.errors import InconsistentComparisons, InvalidInput

CONSISTENCY_LIMIT = Decimal("0.10")
WEIGHT_PLACES = 6
RATIO_PLACES = 4
MIN_RATIO, MAX_RATIO = 1, 9
# Saaty's random consistency indexes, by the number of objectives compared (The Analytic
# Hierarchy Process, 1980, table 1.7): the mean CI of random reciprocal matrices.
RANDOM_INDEX: Mapping[int, Decimal] = {
    1: Decimal("0"), 2: Decimal("0"), 3: Decimal("0.58"), 4: Decimal("0.90"),
    5: Decimal("1.12"), 6: Decimal("1.24"), 7: Decimal("1.32"), 8: Decimal("1.41"),
    9: Decimal("1.45"), 10: Decimal("1.49"),
}
MAX_COMPARED = max(RANDOM_INDEX)


@dataclass(frozen=True)
class Comparison:
    """`more` is `ratio` times as important as `less` (Saaty's scale: 1 equal, 9 extreme)."""

    more: str
    less: str
    ratio: int


@dataclass(frozen=True)
class Weighting:
    """Weights summing exactly to 1, how they were reached, and how consistent that was."""

    weights: dict[str, Decimal]
    consistency_ratio: Decimal | None  # None for weights given directly
    comparisons: tuple[Comparison, ...]


def checked_keys(keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        raise InvalidInput("keys", "must be a list of objective keys")
    listed = list(keys)
    if not listed:
        raise InvalidInput("keys", "there must be at least one objective")
    for key in listed:
        if not isinstance(key, str) or not key:
            raise InvalidInput("keys", "every objective key must be a non-empty text")
    repeated = sorted({key for key in listed if listed.count(key) > 1})
    if repeated:
        raise InvalidInput("keys", f"repeated objective {', '.join(repeated)}")
    return listed


def normalised(keys: Sequence[str], raw: Sequence[Decimal]) -> dict[str, Decimal]:
    """Shares of the total to WEIGHT_PLACES places summing to exactly 1: each rounded down,
    and the units left over given to the largest remainders (ties to the earlier key)."""
    total = sum(raw, Decimal(0))
    unit = Decimal(1).scaleb(-WEIGHT_PLACES)
    scale = 10**WEIGHT_PLACES
    exact = [value * scale / total for value in raw]
    floors = [int(share) for share in exact]
    left = scale - sum(floors)
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return {key: (Decimal(units) * unit).quantize(unit) for key, units in zip(keys, floors,
                                                                            strict=True)}


def direct(keys: Sequence[str], weights: Mapping[str, Decimal | int | float | str]) -> Weighting:
    """Weights as the board gives them, normalised: non-negative, at least one positive, only
    the objectives' own keys (an objective not given weighs 0)."""
    listed = checked_keys(keys)
    if not isinstance(weights, Mapping):
        raise InvalidInput("weights", "must map objective keys to weights")
    unknown = sorted(str(key) for key in weights if key not in listed)
    if unknown:
        raise InvalidInput("weights", f"no objective {', '.join(unknown)}")
    raw: list[Decimal] = []
    for key in listed:
        given = weights.get(key, 0)
        field = f"weights.{key}"
        if isinstance(given, bool) or not isinstance(given, Decimal | int | float | str):
            raise InvalidInput(field, "must be a number")
        try:
            value = Decimal(str(given)) if isinstance(given, float) else Decimal(given)
        except InvalidOperation:
            raise InvalidInput(field, "must be a number") from None
        if not value.is_finite():
            raise InvalidInput(field, "must be a finite number")
        if value < 0:
            raise InvalidInput(field, "must not be negative")
        raw.append(value)
    if not any(raw):
        raise InvalidInput("weights", "at least one weight must be positive")
    return Weighting(normalised(listed, raw), None, ())


def from_comparisons(keys: Sequence[str], comparisons: Sequence[Comparison], *,
                     accept_inconsistent: bool = False) -> Weighting:
    """AHP weights from every pair of objectives compared exactly once; InconsistentComparisons
    when CR > 0.10 and the board did not accept that."""
    listed = checked_keys(keys)
    n = len(listed)
    if n > MAX_COMPARED:
        raise InvalidInput("comparisons", f"pairwise comparisons weigh at most {MAX_COMPARED}"
                           " objectives (Saaty's random indexes go no further); give weights"
                           " directly")
    position = {key: i for i, key in enumerate(listed)}
    matrix = np.ones((n, n))
    seen: dict[frozenset[str], int] = {}
    for index, comparison in enumerate(comparisons):
        field = f"comparisons[{index}]"
        if not isinstance(comparison, Comparison):
            raise InvalidInput(field, "must be a comparison")
        for end in (comparison.more, comparison.less):
            if end not in position:
                raise InvalidInput(field, f"no objective {end}")
        if comparison.more == comparison.less:
            raise InvalidInput(field, f"compares {comparison.more} with itself")
        ratio = comparison.ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int) or not (
                MIN_RATIO <= ratio <= MAX_RATIO):
            raise InvalidInput(f"{field}.ratio",
                               f"must be a whole number from {MIN_RATIO} to {MAX_RATIO}")
        pair = frozenset((comparison.more, comparison.less))
        if pair in seen:
            raise InvalidInput(field, f"compares {comparison.more} and {comparison.less} again"
                               f" (comparisons[{seen[pair]}] did)")
        seen[pair] = index
        i, j = position[comparison.more], position[comparison.less]
        matrix[i, j] = ratio
        matrix[j, i] = 1 / ratio
    missing = [f"{a} and {b}" for i, a in enumerate(listed) for b in listed[i + 1:]
               if frozenset((a, b)) not in seen]
    if missing:
        raise InvalidInput("comparisons", f"every pair must be compared once; missing: "
                           f"{', '.join(missing)}")
    vector, eigenvalue = principal(matrix)
    ratio_cr = consistency_ratio(eigenvalue, n)
    if ratio_cr > CONSISTENCY_LIMIT and not accept_inconsistent:
        raise InconsistentComparisons(ratio_cr, CONSISTENCY_LIMIT)
    raw = [Decimal(repr(float(v))) for v in vector]
    return Weighting(normalised(listed, raw), ratio_cr, tuple(comparisons))


def principal(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    """The Perron eigenvector (positive, summing to 1) and its eigenvalue, lambda_max."""
    values, vectors = np.linalg.eig(matrix)
    top = int(np.argmax(values.real))
    vector = np.abs(vectors[:, top].real)
    return vector / vector.sum(), float(values[top].real)


def consistency_ratio(eigenvalue: float, n: int) -> Decimal:
    """CR = ((lambda_max - n) / (n - 1)) / RI(n), to RATIO_PLACES places; 0 for n <= 2, where
    every reciprocal matrix is consistent."""
    unit = Decimal(1).scaleb(-RATIO_PLACES)
    if n <= 2:
        return Decimal(0).quantize(unit)
    index = (Decimal(repr(eigenvalue)) - n) / (n - 1)
    ratio = max(index / RANDOM_INDEX[n], Decimal(0))
    return ratio.quantize(unit, rounding=ROUND_HALF_EVEN)
