"""Time is an input: one clock reads the time of day, and a clock set to an instant lives from there."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oms.clock import Clock

SRC = Path(__file__).parents[2] / "src" / "oms"
# Calls that read the wall clock's date or time of day (monotonic timers measure durations: they may stay).
WALL = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time"),
        ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}
# Wall time that is no business time: an id's leading bits order rows by when they were made; the failure
# throttle's window is counted by its library in wall-clock seconds.
NOT_BUSINESS_TIME = {"domain/ids.py", "services/runtime/throttle.py"}


def test_only_the_clock_reads_the_time_of_day():
    readers = []
    for path in SRC.rglob("*.py"):
        name = path.relative_to(SRC).as_posix()
        if name == "clock.py" or name in NOT_BUSINESS_TIME:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and (node.func.value.id, node.func.attr) in WALL:
                readers.append(f"{name}:{node.lineno} {node.func.value.id}.{node.func.attr}()")
    assert readers == []


def test_a_clock_set_to_an_instant_flows_on_from_it():
    eve = datetime(2026, 12, 24, 18, 30, tzinfo=ZoneInfo("Europe/Paris"))
    clock = Clock(eve)
    first = clock.now()
    assert timedelta(0) <= first - eve < timedelta(seconds=5) and first.tzinfo == UTC
    assert clock.now() >= first
    clock.advance(timedelta(days=3))
    assert timedelta(days=3) <= clock.now() - eve < timedelta(days=3, seconds=5)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now().year == 2027


def test_a_clock_is_set_to_an_aware_time_only():
    with pytest.raises(ValueError, match="aware"):
        Clock(datetime(2026, 12, 24, 18, 30))


def test_the_wall_clock_by_default():
    assert abs(Clock().now() - datetime.now(UTC)) < timedelta(seconds=5)
