"""How fast `oms simulate` lives a day on the demo retailer, on PostgreSQL: the wall time of each configuration's
run, the orders held per second, and the CPU per order of the simulating process (the services and the
simulated world); with the run's own figures (promise kept, cost per order, splits). PostgreSQL's CPU is not
given: each run's connections end with its copy, and /proc forgets an ended process's time.

    .venv/bin/python bench/simulate.py --scenario ordinary-weekday
    .venv/bin/python bench/simulate.py --scenario black-friday --orders 100000
    .venv/bin/python bench/simulate.py --scenario ordinary-weekday --compare cost_optimal nearest priority --seeds 5

The demo retailer is loaded anew in the benchmark database (``--postgres-url``, recreated), then each
configuration runs on its own copy of it, as ``oms simulate --database`` does.
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy import make_url

sys.path.insert(0, str(Path(__file__).parent))
from oms.bootstrap import build_context, prepare  # noqa: E402
from oms.config import Settings  # noqa: E402
from oms.demo.load import load_demo  # noqa: E402
from oms.simulation.report import differences, table, write_html, write_json  # noqa: E402
from oms.simulation.scenario import load_configuration, load_scenario  # noqa: E402
from oms.simulation.simulate import simulate  # noqa: E402
from seed import fresh_postgres  # noqa: E402


async def main(args) -> None:
    url = await fresh_postgres(args.postgres_url)
    ctx = build_context(Settings(database_url=url))
    try:
        await prepare(ctx)
        await load_demo(ctx, if_empty=False, keys_file=args.report / "demo-keys.txt")
    finally:
        await ctx.db.dispose()
    scenario = load_scenario(args.scenario)
    scale = args.orders / scenario.orders_per_day if args.orders else 1.0
    configurations = [load_configuration(c) for c in args.compare]
    wall, cpu = time.perf_counter(), time.process_time()
    report = await simulate(scenario, seeds=list(range(args.seed, args.seed + args.seeds)), folder=args.report,
                            configurations=configurations, source=url, scale=scale)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    console = Console()
    console.print(table(report))
    if (versus := differences(report)) is not None:
        console.print(versus)
    write_json(report, args.report)
    write_html(report, args.report)
    runs = len(report["configurations"]) * args.seeds
    captured = round(sum(c["kpis"]["orders_captured"] for c in report["configurations"]) * args.seeds)
    print(f"\n{scenario.name}, {runs} run(s) on {make_url(url).render_as_string(hide_password=True)}: "
          f"{captured} orders captured in {wall:.0f} s ({wall / runs:.0f} s a run, "
          f"{captured / wall:.1f} orders/s); CPU per order: {1000 * cpu / captured:.1f} ms simulating "
          f"(services and world); invariants: {report['invariants']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="ordinary-weekday")
    parser.add_argument("--orders", type=int, default=None, help="scale the demand to about this many a day")
    parser.add_argument("--compare", nargs="*", default=[], help="configurations (built-in names or files)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    parser.add_argument("--report", type=Path, default=Path("var/bench-simulate"))
    asyncio.run(main(parser.parse_args()))
