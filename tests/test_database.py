"""The embedded database's engine: what an operator sees when the process stops."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A write waits on a lock another writer holds; the stop cancels it, then cancels it again when
# its bound runs out; the lock is let go a moment later, and the event loop closes.
STOPPED_WHILE_WAITING = textwrap.dedent("""
    import asyncio, sqlite3, sys, threading
    from sqlalchemy import text
    from models.db import Database

    path = sys.argv[1]

    async def main():
        db = Database(f"sqlite+aiosqlite:///{path}")
        async with db.session() as s:
            await s.execute(text("CREATE TABLE t (x INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(1.5, other.rollback).start()

        async def write():
            async with db.session() as s:
                await s.execute(text("INSERT INTO t VALUES (1)"))

        writer = asyncio.create_task(write())
        await asyncio.sleep(0.5)
        for _ in range(2):
            writer.cancel()
            await asyncio.sleep(0.2)

    asyncio.run(main())
    print("exited")
""")


def test_a_process_stopped_while_a_write_waits_on_the_lock_still_exits(tmp_path):
    """The stop of a bot whose database is busy must end: a process that never exits cannot be
    restarted by its service manager."""
    try:
        done = subprocess.run([sys.executable, "-c", STOPPED_WHILE_WAITING, str(tmp_path / "busy.sqlite3")],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("the process was still closing its event loop after 60 s") from None
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exited"
