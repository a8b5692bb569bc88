from oms.domain import ids
from oms.domain.ids import new_id


def test_ids_made_one_after_another_sort_in_that_order():
    made = [new_id("evt") for _ in range(5000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(i.startswith("evt_") and len(i) == 36 for i in made)


def _at(monkeypatch, ms: int) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: ms * 1_000_000)


def _random_part(i: str) -> int:
    return int(i.split("_")[1][12:], 16)


def test_ids_made_in_one_millisecond_cannot_be_guessed_from_the_previous_one(monkeypatch):
    _at(monkeypatch, 1_900_000_000_000)
    made = [new_id("ord") for _ in range(1000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert {i.split("_")[1][:12] for i in made} == {f"{1_900_000_000_000:012x}"}  # all in that millisecond
    steps = [_random_part(b) - _random_part(a) for a, b in zip(made, made[1:], strict=False)]
    # Not a counter: the steps differ, and hardly any is small enough to walk to the next id.
    assert len(set(steps)) > 990
    assert sum(step < 2**20 for step in steps) < 5


def test_ids_sort_by_time_across_milliseconds_and_start_anew_at_random(monkeypatch):
    made = []
    for ms in range(1_900_000_000_000, 1_900_000_000_050):
        _at(monkeypatch, ms)
        made += [new_id("ord") for _ in range(3)]
    assert made == sorted(made)
    firsts = [_random_part(i) for i in made[::3]]
    assert len(set(firsts)) == len(firsts)  # each millisecond starts at its own random point


def test_ids_stay_in_order_when_the_clock_steps_back(monkeypatch):
    _at(monkeypatch, 1_900_000_001_000)
    first = new_id("ord")
    _at(monkeypatch, 1_900_000_000_000)
    assert new_id("ord") > first
