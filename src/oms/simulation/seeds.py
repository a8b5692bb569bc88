"""Several seeds: the same scenario lived with other customers, so that a difference between configurations is
told with its 95 % confidence interval (Student's t over the seeds, paired: each seed's customers are the same
for every configuration)."""

import statistics

from scipy import stats

COMPARED = ("orders_captured", "orders_refused", "promise_kept", "late", "cost_per_order", "split_rate",
            "shipments_per_order", "resourced", "rejections", "carbon_g_per_order", "capacity_days_exhausted")


def interval(values: list[float]) -> dict:
    """The mean and its 95 % interval (none from a single value)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return {"mean": round(mean, 4), "low": None, "high": None}
    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / len(values) ** 0.5
    return {"mean": round(mean, 4), "low": round(mean - half, 4), "high": round(mean + half, 4)}


def _figures(runs: list[dict], key: str) -> list[float]:
    return [run["kpis"][key] for run in runs if run["kpis"].get(key) is not None]


def _mean(values: list) -> float | None:
    found = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return round(statistics.fmean(found), 4) if found else None


def _means(figures: list[dict]) -> dict:
    """Every figure's mean over the seeds: numbers, and the numbers of a figure by mode or reason (a reason
    absent from a seed counts 0 there; a mode absent is not counted); lists as the first seed's."""
    found: dict = {}
    for key, value in figures[0].items():
        if isinstance(value, dict):
            names = dict.fromkeys(k for f in figures for k in f.get(key, {}))
            shares = key.endswith("_by_mode")
            found[key] = {name: _mean([f.get(key, {}).get(name, None if shares else 0) for f in figures])
                          for name in names}
        elif isinstance(value, int | float) or value is None:
            found[key] = _mean([f.get(key) for f in figures])
        else:
            found[key] = value
    return found


def combine(per_seed: list[list[dict]]) -> tuple[list[dict], list[dict]]:
    """``per_seed``: for each seed, each configuration's result in the same order. Each configuration with its
    figures' means and intervals, and each configuration's differences from the first."""
    names = [c["name"] for c in per_seed[0]]
    combined = []
    for i in range(len(names)):
        runs = [seed[i] for seed in per_seed]
        combined.append({**runs[0], "kpis": _means([run["kpis"] for run in runs]),
            "intervals": {key: interval(_figures(runs, key)) for key in COMPARED if _figures(runs, key)},
            "seeds": [run["kpis"] for run in runs]})
    differences = []
    for i, name in enumerate(names[1:], start=1):
        against = {}
        for key in COMPARED:
            paired = [seed[i]["kpis"][key] - seed[0]["kpis"][key] for seed in per_seed
                      if seed[i]["kpis"].get(key) is not None and seed[0]["kpis"].get(key) is not None]
            if paired:
                against[key] = interval(paired)
        differences.append({"configuration": name, "against": names[0], "kpis": against})
    return combined, differences
