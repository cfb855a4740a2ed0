"""aiogram routers, one module per flow. Thin: parse input, call a service, render.

Every module here exposes `router`. Feature modules are found automatically and come
first (their /start deep links must match before plain /start); `fallback` answers
whatever nobody else took and stays last. Packages (`views`: presentation shared by the
routers of one feature) hold no routers and are skipped; handlers never import each other.
"""
from __future__ import annotations

import importlib
import pkgutil

from aiogram import Router

CORE = ["start", "privacy"]
LAST = ["fallback"]


def routers() -> list[Router]:
    import services

    services.load_all()
    features = sorted(m.name for m in pkgutil.iter_modules(__path__)
                      if not m.ispkg and m.name not in (*CORE, *LAST))
    found = [importlib.import_module(f"{__name__}.{name}").router for name in (*features, *CORE, *LAST)]
    for router in found:
        # Routers are module singletons; a restarted app in the same process builds a new
        # Dispatcher, and aiogram refuses to attach a router that still has a parent.
        router._parent_router = None
    return found
