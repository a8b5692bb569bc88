"""The figures of a simulated run, from what the service recorded of each order (``services.reads.outcomes``)
and what the simulation saw of its customers: shares as fractions, money in minor units."""

import statistics
from collections import Counter, defaultdict
from datetime import datetime

from ..domain.lifecycle import OStatus
from .run import Tally

# The order is whole with the customer, or waits for them where they collect.
REACHED = (OStatus.DELIVERED, OStatus.READY_FOR_PICKUP, OStatus.COLLECTED, OStatus.PARTIALLY_RETURNED,
           OStatus.RETURNED)


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def kpis(tally: Tally, orders: list[dict], picked: list[tuple[str, datetime, int]], full: list[dict],
         stores: set[str], zone) -> dict:
    """``picked``: units that left nodes (node, when, units); ``full``: the nodes' days whose capacity was all
    taken; ``stores``: the stores' ids."""
    end = tally.ended
    given_up = tally.given_up  # lines cancelled by customer service: no node could keep the promise

    def reached(o: dict) -> bool:
        # Whole with the customer or waiting for them; a parcel ready and never collected was on time all the same.
        return o["reached"] is not None and (o["status"] in REACHED or o["status"] == OStatus.CANCELLED)

    # The promises due: those reached, those whose window closed before the end, those customer service broke.
    due = [o for o in orders if o["latest"] and (
        reached(o) or o["id"] in given_up
        or (o["status"] != OStatus.CANCELLED and end and end > datetime.fromisoformat(o["latest"])))]
    kept = [o for o in due if reached(o) and o["id"] not in given_up
            and o["reached"] <= datetime.fromisoformat(o["latest"])]
    kept_ids = {o["id"] for o in kept}
    late = [o for o in due if o["id"] not in kept_ids]
    why: Counter = Counter()
    for o in late:
        why.update(tally.flags.get(o["id"]) or {"nothing went wrong: the promise was too optimistic"})
    by_mode: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in due:
        by_mode[o["mode"]][1] += 1
        by_mode[o["mode"]][0] += o["id"] in kept_ids
    costs = [o["cost"] for o in orders if o["cost"] is not None]
    parts = [o["parts"] for o in orders if o["parts"]]
    load: Counter = Counter()
    for node_id, when, units in picked:
        local = when.astimezone(zone)
        load[(node_id, local.date().isoformat(), local.hour)] += units
    store_hours = [units for (n, _, _), units in load.items() if n in stores]
    return {
        "orders_offered": tally.offered,
        "orders_captured": tally.captured,
        "orders_refused": tally.offered - tally.captured,
        "lost_sales": {"no_option": tally.no_option, "walked_away": tally.walked_away,
                       "capture_refused": dict(tally.refused)},
        "promise_kept": _share(len(kept), len(due)),
        "promise_kept_by_mode": {m: _share(k, n) for m, (k, n) in sorted(by_mode.items())},
        "reached": sum(1 for o in orders if reached(o)),
        "late": len(late),
        "late_because": dict(why.most_common()),
        "late_by_mode": dict(Counter(o["mode"] for o in late).most_common()),
        "at_risk": sum(1 for o in orders if o["at_risk"]),
        "cancelled": sum(1 for o in orders if o["status"] == OStatus.CANCELLED),
        "cost_per_order": round(statistics.fmean(costs)) if costs else None,
        "split_rate": _share(sum(1 for p in parts if p > 1), len(parts)),
        "shipments_per_order": round(statistics.fmean(parts), 3) if parts else None,
        "resourced": sum(o["resourced"] for o in orders),
        "customer_service": {"later_date_taken": tally.late_accepted, "lines_cancelled": tally.lines_cancelled},
        "rejections": sum(o["rejected"] for o in orders),
        "short_picks": sum(o["short"] for o in orders),
        "carbon_g_per_order": round(tally.carbon_g / tally.carbon_known) if tally.carbon_known else None,
        "chosen_modes": dict(tally.chosen.most_common()),
        "store_load": {"peak_units_per_hour": max(store_hours, default=0),
                       "mean_units_per_working_hour": round(statistics.fmean(store_hours), 2) if store_hours else 0},
        "capacity_days_exhausted": len(full),
        "capacity_days_exhausted_at": [f"{d['node_id']} {d['day']}" for d in full][:50],
        "walk_in_units": tally.walk_in_units,
        "phantom_units": tally.phantom_units,
        "throughput_orders_per_s": round(tally.captured / tally.wall_s, 2) if tally.wall_s else None,
        "cpu_ms_per_order": round(1000 * tally.cpu_s / tally.captured, 1) if tally.captured else None,
        "wall_s": round(tally.wall_s, 1),
    }


def hourly_load(picked: list[tuple[str, datetime, int]], zone) -> dict[str, list[int]]:
    """Units that left each node per local hour of the day (all days together): the store load heat map."""
    load: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for node_id, when, units in picked:
        load[node_id][when.astimezone(zone).hour] += units
    return dict(sorted(load.items()))
