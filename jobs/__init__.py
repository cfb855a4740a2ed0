"""Periodic jobs. `load_all()` imports every job module so each registers itself."""
import importlib
import pkgutil


def load_all() -> None:
    import services

    services.load_all()
    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("registry", "scheduler"):
            importlib.import_module(f"{__name__}.{module.name}")
