"""A run's report: ``report.json`` (each configuration's figures and the invariants), the terminal's table, and
``report.html`` with its charts."""

import json
from html import escape
from pathlib import Path

from rich.table import Table

from . import charts

# The figures the terminal shows, in order, and how.
SHOWN = (("orders_offered", "orders offered", "{}"), ("orders_captured", "orders captured", "{}"),
         ("orders_refused", "lost sales", "{}"), ("promise_kept", "promise kept", "{:.1%}"),
         ("late", "late orders", "{}"), ("at_risk", "at risk at the end", "{}"),
         ("cost_per_order", "fulfilment cost per order", "money"), ("split_rate", "split orders", "{:.1%}"),
         ("shipments_per_order", "shipments per order", "{:.3f}"), ("resourced", "re-sourcings", "{}"),
         ("rejections", "rejections", "{}"), ("short_picks", "short picks", "{}"),
         ("carbon_g_per_order", "carbon per order (g CO2e)", "{}"),
         ("capacity_days_exhausted", "node days at capacity", "{}"),
         ("throughput_orders_per_s", "orders/s held", "{}"), ("cpu_ms_per_order", "CPU ms per order", "{}"))


def _cell(value, how: str) -> str:
    if value is None:
        return "-"
    if how == "money":
        return f"{value / 100:.2f}"
    if how == "{}" and isinstance(value, float):  # a count averaged over seeds
        return f"{value:.1f}"
    return how.format(value)


def _seeds(report: dict) -> str:
    seeds = report["seeds"]
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]} to {seeds[-1]}, means and 95 % intervals"


def _with_interval(c: dict, key: str, how: str) -> str:
    found = c.get("intervals", {}).get(key)
    if not found or found["low"] is None:
        return _cell(c["kpis"].get(key), how)
    return f"{_cell(found['mean'], how)} [{_cell(found['low'], how)}, {_cell(found['high'], how)}]"


def table(report: dict) -> Table:
    configurations = report["configurations"]
    shown = Table("", *(c["name"] for c in configurations),
                  title=f"{report['scenario']} from {report['started'][:10]}, {_seeds(report)}")
    for key, label, how in SHOWN:
        shown.add_row(label, *(_with_interval(c, key, how) for c in configurations))
    modes = sorted({m for c in configurations for m in c["kpis"]["promise_kept_by_mode"]})
    for mode in modes:
        shown.add_row(f"  kept, {mode}", *(_cell(c["kpis"]["promise_kept_by_mode"].get(mode), "{:.1%}")
                                          for c in configurations))
    for reason in _reasons(configurations):
        shown.add_row(f"  late: {reason}", *(str(c["kpis"].get("late_because", {}).get(reason, 0))
                                            for c in configurations))
    return shown


def _reasons(configurations: list[dict]) -> list[str]:
    """Why late orders were late, the most frequent first (an order may have several reasons)."""
    total: dict[str, int] = {}
    for c in configurations:
        for reason, n in c["kpis"].get("late_because", {}).items():
            total[reason] = total.get(reason, 0) + n
    return sorted(total, key=lambda r: -total[r])


def differences(report: dict) -> Table | None:
    """Each configuration against the first, over the seeds: the mean difference and its 95 % interval."""
    found = report.get("differences")
    if not found:
        return None
    shown = Table("", *(f"{d['configuration']} - {d['against']}" for d in found), title="differences, paired by seed")
    for key, label, how in SHOWN:
        if any(key in d["kpis"] for d in found):
            shown.add_row(label, *(_with_interval({"kpis": {}, "intervals": d["kpis"]}, key, how)
                                   if key in d["kpis"] else "-" for d in found))
    return shown


def write_json(report: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def html(report: dict) -> str:
    """The report as a page: the figures side by side, the invariants, and the charts."""
    configurations = report["configurations"]
    names = [c["name"] for c in configurations]
    rows = "".join(f"<tr><td>{escape(label)}</td>"
                   + "".join(f"<td>{escape(_with_interval(c, key, how))}</td>" for c in configurations) + "</tr>"
                   for key, label, how in SHOWN)
    held = "".join(f"<li class={'ok' if value == 'clean' else 'bad'}>{escape(name)}: "
                   f"{escape(value if value == 'clean' else f'{len(value)} rows wrong (see report.json)')}</li>"
                   for name, value in report["invariants"].items())
    first = configurations[0]
    parts = [
        f"<h1>{escape(report['scenario'])}</h1>",
        f"<p>From {escape(report['started'])}, {escape(_seeds(report))}"
        + (f", demand × {report['scale']:.3g}" if report.get("scale", 1) != 1 else "") + ".</p>",
        f"<table><tr><th></th>{''.join(f'<th>{escape(n)}</th>' for n in names)}</tr>{rows}</table>",
        *(f"<p>{escape(c['name'])}: {escape(c['description'])}</p>" for c in configurations if c["description"]),
        "<h2>Why late orders were late</h2><table><tr><th></th>"
        + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"
        + "".join(f"<tr><td>{escape(r)}</td>" + "".join(
            f"<td>{c['kpis'].get('late_because', {}).get(r, 0)}</td>" for c in configurations) + "</tr>"
            for r in _reasons(configurations)) + "</table>",
        f"<h2>Invariants</h2><ul>{held}</ul>",
        charts.stacked_hours(first["hourly_orders"], "Customers by hour of the day and channel"),
        charts.grouped_bars({mode: {c["name"]: c["kpis"]["promise_kept_by_mode"].get(mode) for c in configurations}
                             for mode in sorted({m for c in configurations
                                                 for m in c["kpis"]["promise_kept_by_mode"]})},
                            "Promise kept by delivery mode", percent=True),
        charts.grouped_bars({"cost per order (EUR)": {c["name"]: (c["kpis"]["cost_per_order"] or 0) / 100
                                                      for c in configurations}},
                            "Fulfilment cost per order by configuration"),
        *(charts.heat_map(c["store_load"], f"Store load, units sent per hour of the day: {c['name']}")
          for c in configurations),
    ]
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(report['scenario'])}</title>"
            f"<style>{charts.STYLE}</style><body>{''.join(parts)}</body></html>")


def write_html(report: dict, folder: Path) -> Path:
    path = folder / "report.html"
    path.write_text(html(report), encoding="utf-8")
    return path
