"""Every form's states have names of their own: aiogram stores a state as "ClassName:field", so two
forms named alike in two modules would answer each other's steps."""
from __future__ import annotations

from collections import Counter

from aiogram.fsm.state import StatesGroup

import handlers


def _groups(cls: type) -> list[type]:
    return [cls] + [g for sub in cls.__subclasses__() for g in _groups(sub)]


def test_no_two_forms_share_a_state_name():
    handlers.routers()  # imports every handler module
    names = Counter(state.state for group in _groups(StatesGroup) for state in group.__states__)
    assert [name for name, n in names.items() if n > 1] == []
