"""Run every registered benchmark and print one markdown table per result.

    python -m benchmarks.run [--only NAME]

Adding a benchmark: create benchmarks/bench_<name>.py (NAME, run() -> list[Table]) and
add "<name>" to BENCHMARKS below.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from collections.abc import Sequence

BENCHMARKS: tuple[str, ...] = (
    "validator",
    "synth",
    "history_events",
    "event_waits",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    selected = args.only or list(BENCHMARKS)
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    for name in selected:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        started = time.perf_counter()
        tables = module.run()
        print(f"## {module.NAME}\n")
        for table in tables:
            print(table.markdown())
            print()
        print(f"_({name}: {time.perf_counter() - started:.1f} s)_\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
