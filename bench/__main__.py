"""`make bench`: every figure of Minsheng bot's speed and scale, measured in one run, on SQLite and on
PostgreSQL + Redis, printed as a table with its goal and saved as JSON (bench/results.json).

    .venv/bin/python -m bench [--only NAME ...] [--backends sqlite,postgres] [--quick]

Benchmarks (NAME): conversation (throughput of /menu and of a realistic mix, each as a ratio
to a bare aiogram echo bot on the same fake server), latency (p50/p99 at 100 updates/s),
sweep (a million open deadlines: idle, and 100,000 due at once), broadcast (10,000
notifications at the paced rate), vote (2,000 deputies check in and vote), memory (RSS at
rest and after a burst of 2,000 updates). --quick runs each at a tenth of its size.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import broadcast, conversation, sweep, vote
from bench.common import BACKENDS, Row

RESULTS = Path(__file__).resolve().parent / "results.json"


def plan(quick: bool) -> dict:
    scale = 10 if quick else 1
    return {
        "conversation": lambda backend, tmp: conversation.throughput(backend, tmp, users=20, rounds=max(2, 20 // scale)),
        "latency": lambda backend, tmp: conversation.latency(backend, tmp, offered=100, seconds=10 / scale * 2),
        "sweep": lambda backend, tmp: sweep.sweep(backend, tmp, total=1_000_000 // scale, due=100_000 // scale),
        "broadcast": lambda backend, tmp: broadcast.broadcast(backend, tmp, count=10_000 // scale, rate=25),
        "vote": lambda backend, tmp: vote.vote(backend, tmp, deputies=2_000 // scale),
        "memory": lambda backend, tmp: conversation.memory(backend, tmp, burst=2_000 // scale),
    }


def table(rows: list[Row]) -> str:
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("what", "backend", "measured", "goal")]
    lines = []
    for r in rows:
        mark = {True: "met", False: "NOT MET", None: ""}[r.met]
        lines.append("  ".join(str(getattr(r, f)).ljust(w) for f, w in zip(("what", "backend", "measured", "goal"),
                                                                          widths)) + "  " + mark)
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(plan(False)), help="run only these benchmarks")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres (default: both)")
    parser.add_argument("--quick", action="store_true", help="a tenth of each size, to try the benchmarks out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    chosen = {name: run for name, run in plan(args.quick).items() if not args.only or name in args.only}
    rows: list[Row] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in chosen.items():
            for backend in args.backends.split(","):
                print(f"… {name} on {backend}", flush=True)
                found = await run(backend, Path(tmp))
                print(table(found), flush=True)
                rows += found
    print("\n" + table(rows))
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.platform(),
              "quick": args.quick, "seconds": round(time.monotonic() - started), "rows": [r.json() for r in rows]}
    if not args.only and not args.quick:
        RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nsaved {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
