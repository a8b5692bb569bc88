"""The demo's seeded sales history: each store-SKU starts at its level, sells while it has units, is refilled
only on its delivery days, ends at its on-hand now; shut on Sundays; Christmas goods sell more as December
comes; furniture sells on few days."""

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from oms.demo.generate import build
from oms.demo.history import build_history
from oms.demo.replenishment import build_replenishment

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_the_history_adds_up_to_the_stock_of_now_and_keeps_to_the_stores_days():
    _, nodes, stock = build()
    supplied, _ = build_replenishment(nodes)
    began, counted, moves = build_history(stock, nodes, supplied, NOW)
    assert began == datetime(2026, 9, 7, 21, 0, tzinfo=ZoneInfo("Europe/Paris"))  # the evening before the first day
    start = {(s.node_id, s.sku): s.on_hand for s in counted}
    now = {(s.node_id, s.sku): s.on_hand for s in stock}
    moved: dict[tuple[str, str], int] = defaultdict(int)
    by_key = defaultdict(list)
    for m in moves:
        assert began < m.occurred_at < NOW
        moved[(m.node_id, m.sku)] += m.delta
        by_key[(m.node_id, m.sku)].append(m)
    assert all(start[k] + moved[k] == now[k] for k in now)  # the ledger ends at the stock of now
    assert not [m for m in moves if m.reason == "sale" and m.occurred_at.weekday() == 6]  # shut on Sundays
    delivered = {s.node_id: {(w - 1 + int(s.lead_days)) % 7 for w in s.order_weekdays} for s in supplied}
    refills = [m for m in moves if m.reason == "receipt" and m.occurred_at.hour == 7]
    assert refills and all(m.occurred_at.weekday() in delivered[m.node_id] for m in refills)
    for key, rows in by_key.items():  # never sold what the shelf did not have
        level = start[key]
        for m in sorted(rows, key=lambda m: m.occurred_at):
            level += m.delta
            assert level >= 0, key
    sold = defaultdict(lambda: [0, 0])  # class -> units sold in the first and the last 30 days
    for m in moves:
        if m.reason == "sale":
            days_in = (m.occurred_at.date() - began.date()).days - 1
            if days_in < 30 or days_in >= 60:
                sold[m.sku[:3]][days_in >= 60] -= m.delta
    assert sold["DEC"][1] > 1.5 * sold["DEC"][0]  # Christmas comes (less than asked: the shelves run out)
    assert 0.8 < sold["KIT"][1] / sold["KIT"][0] < 1.25  # steady
    furniture_days = {(m.node_id, m.sku, m.occurred_at.date()) for m in moves if m.reason == "sale"
                      and m.sku.startswith("FUR")}
    furniture_rows = sum(1 for k in now if k[1].startswith("FUR") and k[0].startswith("ST-"))
    assert len(furniture_days) < 0.05 * 90 * max(furniture_rows, 1)  # a sale on few days
    assert build_history(stock, nodes, supplied, NOW)[2] == moves  # seeded: the same every time
