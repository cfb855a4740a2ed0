"""Amounts of money as people write them: 400000, 40,000, ¥40000元, 15万, 15.5万元, 1.2亿, 十五万.

Costs and budgets are kept in whole yuan. Chinese multipliers (ten thousand, hundred
million, thousand, hundred, also stacked like "hundred ten-thousand") scale the number
before them; amounts written wholly in Chinese numerals are read too. The characters are
written as escapes: code holds no Chinese text.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_YUAN = 10**12
_TEN, _HUNDRED, _THOUSAND = "\u5341", "\u767e", "\u5343"
_MULTIPLIERS = {_TEN: 10, _HUNDRED: 100, _THOUSAND: 1000, "\u4e07": 10**4, "\u842c": 10**4,
                "\u4ebf": 10**8, "\u5104": 10**8, "k": 1000, "K": 1000}
_NUMERALS = {"\u96f6": 0, "\u3007": 0, "\u4e00": 1, "\u4e8c": 2, "\u4e24": 2, "\u5169": 2, "\u4e09": 3,
             "\u56db": 4, "\u4e94": 5, "\u516d": 6, "\u4e03": 7, "\u516b": 8, "\u4e5d": 9}
# Currency signs and words around the number: yuan (several spellings), kuai, RMB, CNY.
_CURRENCY = re.compile(r"(?i)rmb|cny|yuan|[\u00a5\uffe5\u5143\u5706\u5757\u584a$]|\u4eba\u6c11\u5e01|\u4eba\u6c11\u5e63")
_DIGITS = re.compile(r"(\d+(?:\.\d+)?)([" + "".join(_MULTIPLIERS) + r"]*)")


class NotAnAmount(ValueError):
    """The text is not an amount of money this parser can read."""


def parse_yuan(text: str | None) -> int:
    """Whole yuan from a typed amount; NotAnAmount when it cannot be read or is out of range."""
    cleaned = _CURRENCY.sub("", unicodedata.normalize("NFKC", text or ""))
    cleaned = re.sub(r"[\s,_']", "", cleaned)
    if not cleaned:
        raise NotAnAmount(text)
    match = _DIGITS.fullmatch(cleaned)
    if match:
        try:
            amount = Decimal(match.group(1))
        except InvalidOperation:
            raise NotAnAmount(text) from None
        for unit in match.group(2):
            amount *= _MULTIPLIERS[unit]
    else:
        amount = Decimal(_chinese_numeral(cleaned, text))
    if amount < 0 or amount > MAX_YUAN:  # before rounding: a 29-digit amount is past Decimal's precision
        raise NotAnAmount(text)
    yuan = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if yuan > MAX_YUAN:
        raise NotAnAmount(text)
    return yuan


def _chinese_numeral(text: str, original: str | None) -> int:
    """An integer written in Chinese numerals: 十五万, 三百二十万, 一亿两千万; a last digit right
    after a unit is read as people say it (两千五 is 2,500, 三万五 is 35,000)."""
    high = wan = section = digit = 0
    last_unit, seen, zero_before = 0, False, False
    for char in text:
        if char in _NUMERALS:
            digit, seen = _NUMERALS[char], True
            zero_before = zero_before or digit == 0
        elif char in (_TEN, _HUNDRED, _THOUSAND):
            section += (digit or (1 if not seen or char == _TEN else 0)) * _MULTIPLIERS[char]
            digit, seen, last_unit, zero_before = 0, True, _MULTIPLIERS[char], False
        elif char in ("\u4e07", "\u842c"):
            wan = (section + digit) * 10**4
            section = digit = 0
            last_unit, zero_before = 10**4, False
        elif char in ("\u4ebf", "\u5104"):
            high = (high + wan + section + digit) * 10**8
            wan = section = digit = 0
            last_unit, zero_before = 10**8, False
        else:
            raise NotAnAmount(original)
    if not seen and not (high or wan):
        raise NotAnAmount(original)
    if digit and last_unit >= 10 and not zero_before and text[-1] in _NUMERALS:
        digit *= last_unit // 10
    return high + wan + section + digit
