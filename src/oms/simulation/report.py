"""A run's report: ``report.json`` (each configuration's figures and the invariants) and the terminal's table."""

import json
from pathlib import Path

from rich.table import Table

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
    return how.format(value)


def table(report: dict) -> Table:
    configurations = report["configurations"]
    shown = Table("", *(c["name"] for c in configurations),
                  title=f"{report['scenario']} from {report['started'][:10]}, seed {report['seed']}")
    for key, label, how in SHOWN:
        shown.add_row(label, *(_cell(c["kpis"].get(key), how) for c in configurations))
    modes = sorted({m for c in configurations for m in c["kpis"]["promise_kept_by_mode"]})
    for mode in modes:
        shown.add_row(f"  kept, {mode}", *(_cell(c["kpis"]["promise_kept_by_mode"].get(mode), "{:.1%}")
                                          for c in configurations))
    return shown


def write_json(report: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return path
