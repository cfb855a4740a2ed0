"""Real bot processes for tests of the scale-out path: forked from a warm parent, killed for real."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Zygote:
    """tests/support/zygote.py: forks `minsheng` processes without paying the imports each time."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> "Zygote":
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.zygote", cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(process)

    async def spawn(self, env: dict[str, str], cwd: Path, *argv: str, log: str = "process.log") -> int:
        request = {"env": {**os.environ, "PYTHONPATH": str(ROOT), **env}, "cwd": str(cwd), "log": str(cwd / log),
                   "argv": list(argv or ("worker",))}
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        await self.process.stdin.drain()
        return json.loads(await asyncio.wait_for(self.process.stdout.readline(), 60))["pid"]

    async def stop(self) -> None:
        self.process.kill()
        await self.process.wait()


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
