"""`minsheng sandbox`: the bot with no Telegram, in a local web chat for every role.

It talks to the fake Telegram in this process, so it imports aiogram, but only when it runs.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.settings import SettingsError, load_settings


async def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.runner import Sandbox

    port = args.port if args.port is not None else load_settings().sandbox_port
    # A demo's terminal: no line per job run, nor the job a Ctrl-C interrupts (jobs log their own failures).
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    print("Minsheng sandbox: planting the township…", file=sys.stderr)
    sandbox = Sandbox(port=port)
    try:
        await sandbox.start()
    except OSError as exc:
        raise SettingsError(f"127.0.0.1:{port} cannot be used ({exc.strerror}); set SANDBOX_PORT to a free port") \
            from None
    print(f"Minsheng sandbox is ready: open {sandbox.url} in your browser.", flush=True)
    print("Press Ctrl-C to stop; the township is thrown away.", file=sys.stderr, flush=True)
    try:
        await stopping.wait()
    finally:
        await sandbox.stop()
    print("Minsheng sandbox stopped.", file=sys.stderr)
    return 0


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    sandbox = groups[""].add_parser(
        "sandbox", help="try the bot without Telegram: a local web chat for every role, in a throwaway township",
        description="Start the bot against a fake Telegram in this process, plant a small township and serve a "
                    "web page on 127.0.0.1 where you play residents, deputies, staff and departments.")
    sandbox.add_argument("--port", type=int, help="port on 127.0.0.1 (default: SANDBOX_PORT, 8080)")
    sandbox.set_defaults(action=cmd_sandbox)
