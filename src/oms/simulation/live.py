"""The demo retailer at work: a slow simulated flow (about 600 orders a day, as the ordinary weekday's hours
say) running in real time beside the server (``oms serve --live``, ``make run``), so that the console's
dashboard, order search and store queues show customers ordering, stores accepting and picking, parcels
leaving and arriving. Only on the demo retailer's database: it places orders."""

import asyncio
import logging
import secrets

from ..demo.load import is_demo
from ..services.runtime.context import Context
from .run import Simulation
from .scenario import load_scenario

LIVE_SCALE = 0.03  # of the ordinary weekday's 20,000 orders
RESTART_SECONDS = 60.0

log = logging.getLogger("oms.simulation")


async def live_loop(ctx: Context, *, seed: int | None = None) -> None:
    if not await is_demo(ctx):
        log.warning("the live flow runs on the demo retailer only (oms demo): this database is not it")
        return
    while True:
        # Each start its own customers (and channel references); a seed given repeats them (tests).
        chosen = secrets.randbelow(10**6) if seed is None else seed
        simulation = Simulation(ctx, load_scenario("ordinary-weekday"), seed=chosen, scale=LIVE_SCALE)
        simulation.prefix = f"LIVE-{chosen}"
        try:
            await simulation.live()
        except Exception:  # the database away a moment: the flow starts again a little later
            log.exception("the live flow stopped; it starts again in a minute")
            await asyncio.sleep(RESTART_SECONDS)
