"""The board's scoring model: objectives weighted (directly, or by pairwise comparison), each
project assessed 0-5 per objective, and its score the weighted sum of its latest assessment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.values import CODE_LENGTH, text
from domain.weights import Weighting, direct

SCORE_PLACES = Decimal("0.0001")
MIN_SCORE = 0
MAX_SCORE = 5


def initial_weights(objectives: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    """The weights in force before the board sets any: the objectives' own weights given at
    creation, normalised to sum 1 (equal weights when all of them are 0)."""
    keys = [str(objective["key"]) for objective in objectives]
    if not keys:
        return {}
    given = {key: Decimal(str(objective["weight"]))
             for key, objective in zip(keys, objectives, strict=True)}
    try:
        return direct(keys, given).weights
    except InvalidInput:  # every weight 0: each objective counts the same
        return direct(keys, dict.fromkeys(keys, Decimal(1))).weights


def score(weights: Mapping[str, Decimal], scores: Mapping[str, int]) -> Decimal:
    """The weighted sum of the scores (an objective not scored counts 0), to 4 places."""
    total = sum((Decimal(weight) * scores.get(key, 0) for key, weight in weights.items()),
                Decimal(0))
    return total.quantize(SCORE_PLACES)


def checked_scores(scores: Any, known: set[str]) -> dict[str, int]:
    """Scores of an assessment: a whole number 0-5 for each of the portfolio's objectives named."""
    if not isinstance(scores, Mapping):
        raise InvalidInput("scores", "must map objective keys to scores from 0 to 5")
    checked: dict[str, int] = {}
    for raw_key, value in scores.items():
        key = text(raw_key, "scores", required=True, max_length=CODE_LENGTH) or ""
        field = f"scores.{key}"
        if key not in known:
            raise InvalidInput(field, f"{key!r} is not an objective of the portfolio")
        if isinstance(value, bool) or not isinstance(value, int) or not (
                MIN_SCORE <= value <= MAX_SCORE):
            raise InvalidInput(field, f"must be a whole number from {MIN_SCORE} to {MAX_SCORE}")
        checked[key] = value
    return checked


def weighting_data(weighting: Weighting) -> dict[str, Any]:
    """A weighting as an event records it: its weights, comparisons and consistency ratio."""
    return {
        "weights": dict(weighting.weights),
        "comparisons": [
            {"more": c.more, "less": c.less, "ratio": c.ratio} for c in weighting.comparisons
        ],
        "consistency_ratio": weighting.consistency_ratio,
    }
