"""Typed text in one normal form: invisible-only text is empty everywhere, and starts no legal clock."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import Deadline
from models.contact import Inquiry
from services import candidates, inquiries, proposals, suggestions
from services.errors import InvalidInput
from services.text import one_line, tidy
from tests.test_contact import World, actor, build_world

INVISIBLE = ["\u200b", "\u2800\u2800\u2800", "\u202e", "\ufeff\u200c\u200d", "\u3164", " \u3000\t\n", "\u2060\u180e"]


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_only_text_is_empty(text):
    assert tidy(text) == "" and one_line(text) == ""


def test_what_a_reader_sees_is_kept_and_counted():
    assert tidy("  路灯\u200b坏了 \r\n\r\n\r\n第二行  ") == "路灯坏了\n\n第二行"
    assert one_line(" 东街\u3000联络站\n") == "东街 联络站"
    assert tidy("e\u0301") == "\u00e9"  # composed: one character, as a reader counts it
    assert tidy("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # the joiner keeps a family one picture


@given(st.text())
def test_normal_form_is_stable_and_has_nothing_invisible(text):
    once = tidy(text)
    assert tidy(once) == once and one_line(once) == one_line(text)
    assert "\n" not in one_line(text)
    assert not any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\u200d" for c in once)


@pytest.mark.parametrize("text", INVISIBLE)
async def test_an_invisible_inquiry_is_refused_and_starts_no_clock(db, text):
    world = await build_world(db)
    async with db.session() as s:
        with pytest.raises(InvalidInput):
            await inquiries.submit_opinion(s, await actor(s, World.RESIDENT), world.deputy, inquiries.Draft(text),
                                           inquiries.utcnow(), inquiries.Rules())
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Inquiry)) == 0
        assert await s.scalar(select(func.count()).select_from(Deadline)) == 0


@pytest.mark.parametrize("clean", [suggestions.clean_description, suggestions.clean_place, proposals.clean_title,
                                   proposals.clean_text, candidates.clean_title, candidates.clean_summary,
                                   inquiries.clean_text])
def test_every_typed_text_is_cleaned_the_same_way(clean):
    with pytest.raises(InvalidInput):
        clean("\u200b\u2800\u202e" * 3)
