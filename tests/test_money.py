"""services.money.parse_yuan reads an amount however people write it (property-tested)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.money import MAX_YUAN, NotAnAmount, parse_yuan

YUAN = st.integers(min_value=0, max_value=10**10)
AROUND = st.sampled_from([("", ""), ("", "元"), ("¥", ""), ("￥", "元"), ("", " 元"), ("", "块"), ("RMB ", ""),
                          ("", "人民币")])


def grouped(n: int) -> str:
    return f"{n:,}"


@given(YUAN, AROUND, st.booleans())
def test_plain_and_grouped_digits(n, around, commas):
    before, after = around
    assert parse_yuan(f"{before}{grouped(n) if commas else n}{after}") == n


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=9), AROUND)
def test_ten_thousands_with_a_decimal(whole, tenth, around):
    before, after = around
    typed = f"{before}{whole}.{tenth}万{after}" if tenth else f"{before}{whole}万{after}"
    assert parse_yuan(typed) == whole * 10_000 + tenth * 1000


@given(st.integers(min_value=1, max_value=9999), st.sampled_from([("千", 1000), ("k", 1000), ("百", 100),
                                                                   ("亿", 10**8), ("萬", 10**4)]))
def test_one_multiplier(n, unit):
    text, factor = unit
    if n * factor <= MAX_YUAN:
        assert parse_yuan(f"{n}{text}") == n * factor


@pytest.mark.parametrize("typed, yuan", [
    ("15万", 150_000), ("15.5万元", 155_000), ("1,500元", 1500), ("3千", 3000), ("十五万", 150_000),
    ("两千五", 2500), ("三万五", 35_000), ("1.2亿", 120_000_000), ("一百二十万", 1_200_000), ("１５万", 150_000),
    ("0.5万", 5000), ("12.345元", 12),
])
def test_examples(typed, yuan):
    assert parse_yuan(typed) == yuan


@given(st.text(max_size=30))
@example("10000000000000000000000000000")  # 29 digits: past Decimal's precision, once a crash
@example("9" * 30 + "亿")
@example("-0.4")
def test_anything_else_is_an_amount_or_refused_never_a_crash(text):
    try:
        value = parse_yuan(text)
    except NotAnAmount:
        return
    assert 0 <= value <= MAX_YUAN and isinstance(value, int)


@given(st.decimals(min_value=Decimal("-1e13"), max_value=Decimal("-0.5"), places=2))
def test_negative_and_out_of_range_amounts_are_refused(amount):
    with pytest.raises(NotAnAmount):
        parse_yuan(str(amount))
    with pytest.raises(NotAnAmount):
        parse_yuan(str(MAX_YUAN + 1))
