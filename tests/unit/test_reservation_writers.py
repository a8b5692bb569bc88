"""Reserved units change in few places, each changing a line and its stock row together: a fulfilment line
through ``OrderState`` (``reserve``, ``release``, ``consume``, ``move_reserved``, ``add_reserved``,
``follow_reserved``), a hold through ``end_holds``, a transfer line through ``transfers._effects``. Anywhere
else, setting a line's ``reserved`` or calling the stock statements by hand could forget the other half."""

import ast
from pathlib import Path

SERVICES = Path(__file__).parents[2] / "src" / "oms" / "services"
STATEMENTS = {"reserve", "release", "consume", "reserve_arrived"}
# Where the statements may be called: the two owners, and capture, whose new order takes over a hold's units
# (what it does not need goes back in the same transaction).
CALLERS = {"orders/state.py", "reservations/expiry.py", "orders/capture.py", "replenishment/transfers.py"}
# Where ``reserved`` may be written on a row in hand: the owners; a hold's rows after ``end_holds``; the
# batch, whose stock rows follow the lines' difference (``OrderState.follow_reserved``).
WRITERS = {"orders/state.py", "reservations/holds.py", "orders/batch.py", "replenishment/transfers.py"}


def _offences(name: str, source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STATEMENTS
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "stock"
                and name not in CALLERS):
            found.append(f"{name}:{node.lineno} calls stock.{node.func.attr}")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign) else []
        for target in targets:
            if (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "reserved" and name not in WRITERS):
                found.append(f"{name}:{node.lineno} writes reserved")
    return found


def test_reserved_units_change_only_where_the_stock_row_changes_with_them():
    assert [o for path in sorted(SERVICES.rglob("*.py"))
            for o in _offences(str(path.relative_to(SERVICES)), path.read_text())] == []


def test_the_check_sees_a_writer_that_forgets_the_stock():
    stray = ("def cancel(fl, take):\n    fl['reserved'] -= take\n\n\n"
             "async def give_back(conn, items):\n    await stock.release(conn, items, at=None)\n")
    assert sorted(_offences("orders/cancel.py", stray)) == ["orders/cancel.py:2 writes reserved",
                                                            "orders/cancel.py:6 calls stock.release"]
    assert _offences("orders/state.py", stray) == []
