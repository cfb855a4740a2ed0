"""A process that has imported the bot once and forks a fresh `minsheng` process on request.

Starting a worker costs seconds of imports (aiogram builds its types at import); a test
that kills a worker twenty times forks each one from this already-warm process instead.
Each child is a real process running the real CLI: SIGKILL ends it without any cleanup.

Protocol on stdin/stdout, one JSON line each: {"env": {...}, "cwd": "...", "log": "...", "argv": [...]}
→ {"pid": N}; argv defaults to ["worker"].
"""
from __future__ import annotations

import json
import os
import signal
import sys

import bot.cli  # noqa: F401  (warm imports, shared by every child)
import bot.runners  # noqa: F401
import bot.sender  # noqa: F401
import bot.webhook  # noqa: F401
import handlers
import jobs

handlers.routers()

jobs.load_all()


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped at once
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDWR)
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(log, 2)
            from bot.cli import main as cli

            os._exit(cli(request.get("argv", ["worker"])))
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    main()
