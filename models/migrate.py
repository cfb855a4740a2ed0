"""Apply (or generate) Alembic migrations on the application's own async engine."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection) -> Config:  # noqa: ANN001
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(sync_conn), revision))


async def autogenerate(engine: AsyncEngine, message: str) -> None:
    """Developer tool: write a new revision from the difference between models and database."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync_conn: command.revision(_config(sync_conn), message=message, autogenerate=True)
        )
