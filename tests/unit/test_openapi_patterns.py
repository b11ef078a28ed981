"""The patterns the OpenAPI document gives agree with the domain's own checks, sample by sample:
what a pattern allows the domain takes, and what it refuses the domain refuses too."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from api.http.deps import STRONG_ETAG
from api.http.openapi import IF_MATCH_PATTERN
from api.http.schemas import DECIMAL_PATTERN, MONEY_PATTERN, REQUIRED_TEXT_PATTERN, TEXT_PATTERN
from domain.errors import InvalidInput
from domain.values import MAX_MONEY, decimal_text, money, text

MONEY_SAMPLES = ["0", "5", "+5", "5.", ".5", "0.01", "1250000.00", "1.000", "1.100",
                 "999999999999999.99", "000000000000000000001", "-0", "-0.00", "-.0",
                 "-1", "-0.01", "1.001", "1e3", "\uff11\uff10", "1_000", " 5 ", "", ".", "-",
                 "+", "1000000000000000", "1000000000000000.00", "0.005", "5..0", "++5"]
TEXT_SAMPLES = ["Digital services", "  padded  ", "tab\there", "two\nlines", "crlf\r\nend",
                "", "   ", "\t\n", "\u00a0", "\u3000", "\u2028", "\ufeff", "nul\x00", "bell\x07",
                "\x1f", "form\x0c", "vt\x0b", "del\x7f", "é", "日本", "\U0001f600"]


def accepted(check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except InvalidInput:
        return False
    return True


def as_python(pattern: str) -> re.Pattern[str]:
    """An ECMA-262 pattern of the document as Python reads it (`\\uXXXX` is the same)."""
    return re.compile(pattern)


@pytest.mark.parametrize("sample", MONEY_SAMPLES)
def test_the_money_pattern_allows_exactly_the_amounts_the_domain_takes(sample: str) -> None:
    def check() -> None:
        money(decimal_text(sample, "budget"), "budget")

    assert bool(as_python(MONEY_PATTERN).fullmatch(sample)) == accepted(check), sample


@pytest.mark.parametrize("sample", MONEY_SAMPLES)
def test_every_decimal_the_domain_reads_matches_the_decimal_pattern(sample: str) -> None:
    assert bool(as_python(DECIMAL_PATTERN).fullmatch(sample)) == accepted(
        lambda: decimal_text(sample, "weight")), sample


def test_the_money_bounds_are_the_domains() -> None:
    assert money(Decimal("999999999999999.99"), "budget") < MAX_MONEY
    assert not accepted(lambda: money(MAX_MONEY, "budget"))


@pytest.mark.parametrize("sample", TEXT_SAMPLES)
def test_the_text_patterns_allow_exactly_the_text_the_domain_takes(sample: str) -> None:
    optional = accepted(lambda: text(sample, "name"))
    required = accepted(lambda: text(sample, "name", required=True))

    assert bool(as_python(TEXT_PATTERN).fullmatch(sample)) == optional, sample
    assert bool(as_python(REQUIRED_TEXT_PATTERN).fullmatch(sample)) == required, sample


def test_a_lone_surrogate_is_refused_though_no_pattern_can_say_so() -> None:
    assert not accepted(lambda: text("a\ud800b", "name"))


@pytest.mark.parametrize("sample", ['"7"', ' "7" ', "*", " * ", '"123456789012345678"',
                                    'W/"7"', "7", '"7", "8"', '"-1"', "", '"1234567890123456789"'])
def test_the_if_match_pattern_allows_exactly_the_tags_the_api_reads(sample: str) -> None:
    read = sample.strip() == "*" or STRONG_ETAG.match(sample.strip()) is not None

    assert bool(as_python(IF_MATCH_PATTERN).fullmatch(sample)) == read, sample
