"""The group-commit queue: one batch in flight per key, waiters go together, each gets its own answer."""

import asyncio

import pytest

from oms.db.combiner import Combiner, Interrupted


class Store:
    """A fake statement: records every batch it was given; slow enough for requests to gather."""

    def __init__(self, refuse: set = frozenset()):
        self.batches: list[list] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.refuse = refuse

    async def run(self, items: list) -> list:
        self.batches.append(items)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return [ValueError(i) if i in self.refuse else f"ok {i}" for i in items]


async def test_alone_a_request_goes_straight_through():
    store, combiner = Store(), Combiner()
    assert await combiner.submit("row", 1, store.run) == "ok 1"
    assert await combiner.submit("row", 2, store.run) == "ok 2"
    assert store.batches == [[1], [2]]


async def test_requests_arriving_together_go_in_one_batch_after_the_first():
    store, combiner = Store(), Combiner()
    answers = await asyncio.gather(*(combiner.submit("row", i, store.run) for i in range(10)))
    assert answers == [f"ok {i}" for i in range(10)]
    assert store.batches == [[0], list(range(1, 10))]  # the first alone, the rest gathered behind it
    assert store.most_in_flight == 1


async def test_different_keys_do_not_wait_for_each_other():
    store, combiner = Store(), Combiner()
    await asyncio.gather(*(combiner.submit(f"row{i % 2}", i, store.run) for i in range(6)))
    assert store.most_in_flight == 2
    assert sorted(map(tuple, store.batches)) == [(0,), (1,), (2, 4), (3, 5)]


async def test_each_request_gets_its_own_failure():
    store, combiner = Store(refuse={3}), Combiner()
    answers = await asyncio.gather(*(combiner.submit("row", i, store.run) for i in range(5)),
                                   return_exceptions=True)
    assert [str(a) for a in answers] == ["ok 0", "ok 1", "ok 2", "3", "ok 4"]
    assert isinstance(answers[3], ValueError)


async def test_a_statement_that_fails_fails_its_whole_batch_and_the_queue_goes_on():
    combiner = Combiner()
    calls = []

    async def run(items):
        calls.append(items)
        await asyncio.sleep(0.01)
        if len(calls) == 2:
            raise ConnectionError("database gone")
        return [f"ok {i}" for i in items]

    first = asyncio.ensure_future(combiner.submit("row", 0, run))
    await asyncio.sleep(0)
    second = [asyncio.ensure_future(combiner.submit("row", i, run)) for i in (1, 2)]
    await asyncio.sleep(0.015)  # the first batch has ended, the second is in flight
    third = asyncio.ensure_future(combiner.submit("row", 3, run))  # arrives while the failing batch runs
    answers = await asyncio.gather(first, *second, third, return_exceptions=True)
    assert answers[0] == "ok 0" and answers[3] == "ok 3"
    assert all(isinstance(a, ConnectionError) for a in answers[1:3])
    assert calls == [[0], [1, 2], [3]]


async def test_a_cancelled_waiter_is_dropped_and_the_rest_still_run():
    store, combiner = Store(), Combiner()
    first = asyncio.ensure_future(combiner.submit("row", 0, store.run))
    await asyncio.sleep(0)
    waiters = [asyncio.ensure_future(combiner.submit("row", i, store.run)) for i in (1, 2, 3)]
    await asyncio.sleep(0)
    waiters[0].cancel()  # it would have led the next batch
    answers = await asyncio.gather(first, *waiters, return_exceptions=True)
    assert isinstance(answers[1], asyncio.CancelledError)
    assert answers[0] == "ok 0" and answers[2:] == ["ok 2", "ok 3"]
    assert store.batches == [[0], [2, 3]]
    assert await combiner.submit("row", 4, store.run) == "ok 4"  # nothing is left stuck on the key


async def test_a_leader_cancelled_mid_statement_leaves_its_batch_unknown_not_hanging():
    combiner = Combiner()
    started = asyncio.Event()

    async def run(items):
        started.set()
        await asyncio.sleep(1)
        return [f"ok {i}" for i in items]

    first = asyncio.ensure_future(combiner.submit("row", 0, run))
    await started.wait()
    started.clear()
    batch = [asyncio.ensure_future(combiner.submit("row", i, run)) for i in (1, 2)]
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    await started.wait()  # the waiters' batch runs now
    batch[0].cancel()  # its leader is cancelled too, mid-statement
    answers = await asyncio.gather(first, *batch, return_exceptions=True)
    assert isinstance(answers[0], asyncio.CancelledError)
    assert isinstance(answers[1], asyncio.CancelledError)
    with pytest.raises(Interrupted):
        raise answers[2]
