"""Bulk stock writes: ``oms demo --scale`` (the generated retailer's load) and ``oms import stock FILE.csv``.

    .venv/bin/python bench/imports.py --scale large --db postgresql://postgres@127.0.0.1:5432/oms_bench

On a fresh database (dropped and created): times the demo's load, writes the generated stock as a CSV
file with every count moved by one unit, times its import (every row updated, every row a movement), then
``oms inventory check``. Each step is its own ``oms`` process: its wall time, stock rows/s and peak RSS.
"""

import argparse
import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oms.demo.large import SCALES, build_large
from seed import fresh_postgres

ROOT = Path(__file__).parents[1]


def oms(args: list[str], url: str, cwd: str) -> tuple[float, float]:
    """Run ``oms args``; its wall seconds and its peak RSS in MB."""
    env = {**os.environ, "OMS_DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", "from oms.cli import app; app()", *args], env=env, cwd=cwd,
                             stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest child's so far
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"oms {' '.join(args)} failed")
    return seconds, usage.ru_maxrss / 1024


def write_counts(scale: str, path: Path) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["node_id", "sku", "on_hand"])
        for chunk in build_large(SCALES[scale])[2]:
            out.writerows((x.node_id, x.sku, x.on_hand + 1) for x in chunk)
            rows += len(chunk)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=list(SCALES), default="large")
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    args = parser.parse_args()
    url = asyncio.run(fresh_postgres(args.db))
    with tempfile.TemporaryDirectory() as folder:
        seconds, rss = oms(["db", "upgrade"], url, folder)
        print(f"{'step':<34} {'s':>7} {'rows/s':>9} {'peak RSS MB':>12}")
        seconds, rss = oms(["demo", "--scale", args.scale], url, folder)
        path = Path(folder) / "stock.csv"
        rows = write_counts(args.scale, path)
        print(f"{'oms demo --scale ' + args.scale:<34} {seconds:>7.1f} {rows / seconds:>9,.0f} {rss:>12,.0f}")
        seconds, rss = oms(["import", "stock", str(path)], url, folder)
        print(f"{f'oms import stock ({rows:,} rows)':<34} {seconds:>7.1f} {rows / seconds:>9,.0f} {rss:>12,.0f}")
        seconds, rss = oms(["inventory", "check"], url, folder)
        print(f"{'oms inventory check':<34} {seconds:>7.1f} {'':>9} {rss:>12,.0f}")


if __name__ == "__main__":
    main()
