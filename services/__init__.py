"""Use cases, one module per capability; no aiogram here."""
import importlib
import pkgutil


def load_all() -> None:
    """Import every service module, so deadline kinds and privacy sections register themselves."""
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
