"""Every button's callback data refuses numbers out of range instead of failing deep inside.

The classes are found in the code, so a new button with an unbounded number fails here.
"""
from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

import handlers


def _all_classes() -> list[type[CallbackData]]:
    handlers.routers()  # imports every handler module
    found, todo = [], list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__prefix__)


CLASSES = _all_classes()


def _int_fields(cls: type[CallbackData]) -> list[str]:
    return [name for name, field in cls.model_fields.items() if field.annotation is int]


def test_the_handlers_have_buttons_to_check() -> None:
    assert len(CLASSES) >= 30 and any(_int_fields(cls) for cls in CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__prefix__)
def test_every_number_in_callback_data_is_bounded(cls: type[CallbackData]) -> None:
    for name in _int_fields(cls):
        bounds = {type(item).__name__ for item in cls.model_fields[name].metadata}
        assert {"Ge", "Le"} <= bounds, f"{cls.__name__}.{name} is an unbounded int: use bot.keyboards.Id"


@pytest.mark.parametrize("cls", [cls for cls in CLASSES if _int_fields(cls)], ids=lambda cls: cls.__prefix__)
def test_a_forged_huge_number_does_not_parse(cls: type[CallbackData]) -> None:
    for name in _int_fields(cls):
        parts = [cls.__prefix__]
        for field_name, field in cls.model_fields.items():
            if field_name == name:
                parts.append("9" * 30)
            elif field.annotation is int:
                parts.append("1")
            else:
                parts.append(_some_value(field))
        with pytest.raises(ValueError):
            cls.unpack(cls.__separator__.join(parts))


def _some_value(field) -> str:  # noqa: ANN001
    annotation = field.annotation
    members = getattr(annotation, "__members__", None)
    if members:
        return str(next(iter(members.values())).value)
    return "x"


def test_no_filter_of_the_dispatcher_is_sent_to_a_thread():
    """Synchronous filters would each cost a thread hand-off per update (aiogram's to_thread)."""
    from aiogram.fsm.storage.memory import MemoryStorage

    from bot.app import create_dispatcher, run_filters_inline
    from bot.context import AppContext
    from bot.settings import load_settings

    dp = create_dispatcher(AppContext(settings=load_settings(redis_url=""), db=None), storage=MemoryStorage())
    filters = [f for r in dp.chain_tail for o in r.observers.values() for h in (o._handler, *o.handlers)
               for f in h.filters or ()]
    assert sum(getattr(f.callback, "__qualname__", "") == "_inline.<locals>.run" for f in filters) > 50
    assert [f for f in filters if not f.awaitable] == []
    assert run_filters_inline(dp) == 0


def test_every_button_has_a_prefix_of_its_own():
    prefixes = [cls.__prefix__ for cls in CLASSES]
    assert sorted(p for p in set(prefixes) if prefixes.count(p) > 1) == []
