"""Replenishment backtest: the forecast-driven order-up-to policy against fixed min/max rules, on simulated
store demand with known distributions.

    python bench/replenishment.py [--series 400] [--days 120] [--history 90] [--seed 7]

Each series is one store's SKU: smooth (Poisson), seasonal (a weekly cycle and a trend), intermittent (a sale
one day in four or five, sizes of a few units) or lumpy (rare, large); online orders take units from the same
shelf. The store orders on Mondays and Thursdays, delivered the next day (a day later one time in five); a
demand the shelf cannot meet is lost. The first ``--history`` days (90 by default: the window a run reads) are history
only (stock kept full), the next ``--days`` are measured; a shorter history is a SKU newly stocked.

- min/max as Odoo's users set it: min = a week of the average daily sales of the history, max = two weeks;
  order up to max when the position is at or under min.
- this service's policy: each order day, every series forecast from the last 90 days (days out of stock left
  out), its safety stock for the service level over the review period and the lead time, ordered up to its
  level.

The service level is searched so that the policy holds the same average stock as min/max; lost sales are
then compared at equal stock. Prints per class and overall: fill rate, the share of cycles between two
deliveries without a lost sale (what the service level targets), the share of days with demand whose demand
was all met, lost units, average stock (days of cover), deliveries;
then the policy at fixed targets (``--targets``). Figures in docs/benchmarks.md.
"""

import argparse
import time

import numpy as np

from oms.domain.replenishment.forecast import forecast, over
from oms.domain.replenishment.levels import levels, proposals

CLASSES = ("smooth", "seasonal", "intermittent", "lumpy")
HISTORY, WINDOW, ORDER_DAYS, LEAD = 90, 90, (0, 3), 1  # order days: Monday, Thursday (day 0 is a Monday)
LATE = 0.2  # the share of deliveries a day late


def demand_of(rng: np.random.Generator, series: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Daily demand (walk-in + online) of each series, and its class."""
    kind = np.arange(series) % len(CLASSES)
    t = np.arange(days)
    rate = np.empty((series, days))
    base = rng.uniform(1.5, 6.0, series)
    rate[:] = base[:, None]
    seasonal = kind == 1
    rate[seasonal] *= (1 + 0.5 * np.sin(2 * np.pi * t / 7))[None, :] * (1 + 0.004 * t)[None, :]
    walk_in = rng.poisson(rate)
    p = np.where(kind == 2, rng.uniform(0.18, 0.3, series), rng.uniform(0.05, 0.1, series))
    hits = rng.random((series, days)) < p[:, None]
    sizes = np.where(kind[:, None] == 2, rng.poisson(2.0, (series, days)) + 1, rng.geometric(0.15, (series, days)))
    rare = np.isin(kind, (2, 3))
    walk_in[rare] = (hits * sizes)[rare]
    online = rng.poisson(np.where(rare, 0.05, 0.4)[:, None], (series, days))
    return (walk_in + online).astype(float), kind


def simulate(demand: np.ndarray, order, lead_late: np.ndarray) -> dict:
    """Run the shelf day by day; ``order(day, sold, seen, emptied, position)`` answers the units to order
    (``emptied``: the days that ended with the shelf empty, as the store's stock records show them)."""
    series, days = demand.shape
    on_hand = np.ceil(demand[:, :HISTORY].mean(axis=1) * 7) + 2
    pipeline: dict[int, np.ndarray] = {}
    sold = np.zeros((series, days))
    seen = np.zeros((series, days), dtype=bool)
    emptied = np.zeros((series, days), dtype=bool)
    stock_sum, lost, met, deliveries = np.zeros(series), np.zeros(series), np.zeros(series), np.zeros(series)
    asked_days, met_days = np.zeros(series), np.zeros(series)
    cycles, short_cycles, short_now = np.zeros(series), np.zeros(series), np.zeros(series, dtype=bool)
    for day in range(days):
        on_hand += pipeline.pop(day, 0)
        opening = on_hand.copy()
        if day < HISTORY:
            on_hand = np.maximum(on_hand, demand[:, day] + 1)  # the history: shelves kept full
        sale = np.minimum(on_hand, demand[:, day])
        sold[:, day], on_hand = sale, on_hand - sale
        seen[:, day] = ~((opening <= 0) & (sale <= 0))
        emptied[:, day] = (on_hand <= 0) & (sale > 0)
        if day >= HISTORY:
            stock_sum += on_hand
            lost += demand[:, day] - sale
            met += sale
            asked_days += demand[:, day] > 0
            met_days += (demand[:, day] > 0) & (sale >= demand[:, day])
            short_now |= sale < demand[:, day]
        if day >= HISTORY and (day - LEAD) % 7 in ORDER_DAYS:  # a delivery day ends a cycle
            cycles += 1
            short_cycles += short_now
            short_now[:] = False
        if day % 7 in ORDER_DAYS and day >= HISTORY - 7:
            coming = sum(pipeline.values(), np.zeros(series))
            window = slice(max(0, day + 1 - WINDOW), day + 1)
            units = order(day, sold[:, window], seen[:, window], emptied[:, window], on_hand + coming)
            arrive = day + LEAD + lead_late[:, day]
            for when in np.unique(arrive[units > 0]):
                pipeline[int(when)] = pipeline.get(int(when), np.zeros(series)) + np.where(arrive == when, units, 0)
            if day >= HISTORY:
                deliveries += units > 0
    measured = days - HISTORY
    return {"lost": lost, "met": met, "stock": stock_sum / measured, "deliveries": deliveries,
            "asked_days": asked_days, "met_days": met_days, "cycles": cycles, "short_cycles": short_cycles}


def min_max(history: np.ndarray, scale: float = 1.0):
    daily = history.mean(axis=1)
    low, high = np.ceil(7 * daily * scale), np.ceil(14 * daily * scale)

    def order(day, sold, seen, emptied, position):
        return np.where(position <= low, np.maximum(high - position, 0), 0)
    return order


def policy(service: float):
    def order(day, sold, seen, emptied, position):
        history = np.arange(day + 1 - sold.shape[1], day + 1) % 7  # each column's weekday (day 0: a Monday)
        f = forecast(sold, seen, history, emptied)
        n = len(position)
        days = 3 if day % 7 == ORDER_DAYS[0] else 4  # to the next order day
        review = np.full(n, float(days))
        # The demand over those days and the lead time's part of the day after (the trend's and weekday's).
        expected = over(f, np.arange(day + 1, day + 1 + days) % 7)
        expected += (LEAD - 1 + LATE) * (over(f, np.arange(day + 1, day + 2 + days) % 7) - expected)
        # Ordered after the day's sales, on the shelf the next morning: no day of demand in between, but one
        # day one delivery in five: a lead time of 0.2 days on average, spread by sqrt(0.2 × 0.8) = 0.4.
        lead = np.full(n, LEAD - 1 + LATE)
        lv = levels(f.daily, f.sigma, f.pattern, review, lead, np.full(n, np.sqrt(LATE * (1 - LATE))),
                    np.full(n, service), np.zeros(n), np.zeros(n), np.zeros(n, dtype=int), np.zeros(n), expected,
                    f.level_sigma, f.trend_sigma, f.level_trend)
        return proposals(lv, position, np.zeros(n, dtype=int), np.ones(n), np.full(n, 0.5), np.zeros(n)).astype(float)
    return order


def report(name: str, result: dict, demand: np.ndarray, kind: np.ndarray) -> None:
    measured = demand[:, HISTORY:]
    daily = measured.mean(axis=1)
    for label, rows in [*((c, kind == i) for i, c in enumerate(CLASSES)), ("all", np.ones(len(kind), dtype=bool))]:
        asked = measured[rows].sum()
        fill = result["met"][rows].sum() / asked
        cover = result["stock"][rows].sum() / max(daily[rows].sum(), 1e-9)
        in_stock = result["met_days"][rows].sum() / max(result["asked_days"][rows].sum(), 1)
        cycle = 1 - result["short_cycles"][rows].sum() / max(result["cycles"][rows].sum(), 1)
        print(f"  {name:12} {label:12} fill {fill:6.1%}   cycles met {cycle:6.1%}   days met {in_stock:6.1%}   "
              f"lost {int(result['lost'][rows].sum()):6d} units   stock {cover:5.1f} days of cover   "
              f"deliveries {int(result['deliveries'][rows].sum()):5d}")


def main() -> None:
    global HISTORY
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=400)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--history", type=int, default=90, help="days of history before the measured ones")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--targets", type=float, nargs="*", default=[0.9, 0.95, 0.98])
    args = ap.parse_args()
    HISTORY = args.history
    rng = np.random.default_rng(args.seed)
    days = HISTORY + args.days
    demand, kind = demand_of(rng, args.series, days)
    late = (rng.random((args.series, days)) < LATE).astype(int)
    started = time.process_time()
    fixed = simulate(demand, min_max(demand[:, :HISTORY]), late)
    target = fixed["stock"].sum()
    low, high, best = 0.5, 0.999, None
    for _ in range(12):  # the service level whose average stock is min/max's
        middle = (low + high) / 2
        found = simulate(demand, policy(middle), late)
        best = (middle, found)
        low, high = (middle, high) if found["stock"].sum() < target else (low, middle)
    assert best is not None
    service, ours = best
    print(f"{args.series} series, {args.days} days measured after {HISTORY} of history "
          f"(seed {args.seed}); equal stock at a {service:.1%} service level; "
          f"{time.process_time() - started:.1f} s CPU")
    report("min/max", fixed, demand, kind)
    report("this policy", ours, demand, kind)
    fewer = 1 - ours["lost"].sum() / max(fixed["lost"].sum(), 1)
    print(f"lost sales at equal average stock: {fewer:.0%} fewer than min/max")
    for target in args.targets:
        print(f"this policy at a {target:.0%} target (cycles between deliveries without a lost sale, per class):")
        report("this policy", simulate(demand, policy(target), late), demand, kind)


if __name__ == "__main__":
    main()
