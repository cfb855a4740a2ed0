"""aiogram routers, one module per flow. Thin: parse input, call a service, render."""
from __future__ import annotations

import importlib

from aiogram import Router

# Feature routers come first (their /start deep links must match before plain /start);
# `fallback` answers whatever nobody else took and must stay last.
FEATURES: list[str] = []
CORE = ["start", "privacy"]
LAST = ["fallback"]


def routers() -> list[Router]:
    import services

    services.load_all()
    modules = [*FEATURES, *CORE, *LAST]
    return [importlib.import_module(f"{__name__}.{name}").router for name in modules]
