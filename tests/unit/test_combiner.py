"""The group-commit queue: one batch in flight per key, waiters go together, each gets its own answer."""

import asyncio

from oms.db.combiner import Combiner


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


async def test_a_leader_cancelled_mid_statement_still_answers_its_batch():
    combiner = Combiner()
    started = asyncio.Event()
    finished = []

    async def run(items):
        started.set()
        await asyncio.sleep(0.05)
        finished.append(items)
        return [f"ok {i}" for i in items]

    first = asyncio.ensure_future(combiner.submit("row", 0, run))
    await started.wait()
    started.clear()
    batch = [asyncio.ensure_future(combiner.submit("row", i, run)) for i in (1, 2)]
    await asyncio.sleep(0)
    first.cancel()  # cancelled mid-statement: the statement runs to its end all the same
    await started.wait()  # the waiters' batch runs now
    batch[0].cancel()  # its leader is cancelled too, mid-statement
    answers = await asyncio.gather(first, *batch, return_exceptions=True)
    assert isinstance(answers[0], asyncio.CancelledError)
    assert isinstance(answers[1], asyncio.CancelledError)
    assert answers[2] == "ok 2"  # stored with its leader's statement, and told so
    assert finished == [[0], [1, 2]]


class Gated:
    """A fake statement whose n-th call ends only when its gate opens."""

    def __init__(self, calls: int) -> None:
        self.gates = [asyncio.Event() for _ in range(calls)]
        self.started = [asyncio.Event() for _ in range(calls)]
        self.batches: list[list] = []

    async def run(self, items: list) -> list:
        n = len(self.batches)
        self.batches.append(items)
        self.started[n].set()
        await self.gates[n].wait()
        return [f"ok {i}" for i in items]


async def test_a_follower_cancelled_while_its_batch_is_in_flight_strands_nobody():
    """A request cancelled after it joined a batch (its client went away, a timeout) must not make the
    leader fail nor leave the other members of the batch waiting for ever."""
    store, combiner = Gated(2), Combiner()
    first = asyncio.ensure_future(combiner.submit("row", 0, store.run))
    await store.started[0].wait()
    batch = [asyncio.ensure_future(combiner.submit("row", i, store.run)) for i in (1, 2, 3)]
    await asyncio.sleep(0)
    store.gates[0].set()
    await store.started[1].wait()  # 1 leads [1, 2, 3]: the statement is in flight
    assert store.batches[1] == [1, 2, 3]
    batch[1].cancel()  # 2 gives up while the statement that carries it runs
    await asyncio.sleep(0)
    store.gates[1].set()
    _, pending = await asyncio.wait([first, *batch], timeout=2)
    for task in pending:
        task.cancel()
    answers = await asyncio.gather(first, *batch, return_exceptions=True)
    assert answers[0] == "ok 0"
    assert answers[1] == "ok 1", repr(answers[1])
    assert isinstance(answers[2], asyncio.CancelledError)
    assert not pending, "a request of the batch was never answered"
    assert answers[3] == "ok 3"


async def test_a_waiter_cancelled_after_its_answer_was_set_stays_cancelled():
    """A follower whose outcome is an error (a lost race) and which is cancelled before it resumes must end
    cancelled: raising the stored error instead makes the caller's retry loop go on as if not cancelled."""
    combiner = Combiner()
    gate = asyncio.Event()
    follower: asyncio.Task | None = None

    async def run(items):
        await gate.wait()
        if len(items) > 1:
            # The answers are set right after this returns; the cancel lands just before the follower resumes.
            asyncio.get_running_loop().call_soon(follower.cancel)
        return ["ok" if i == 0 or len(items) == 1 else ValueError("lost race") for i in items]

    leader = asyncio.ensure_future(combiner.submit("row", 0, run))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(combiner.submit("row", 1, run))  # waits behind the first
    follower = asyncio.ensure_future(combiner.submit("row", 2, run))  # joins the second's batch
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(leader, second, follower, return_exceptions=True)
    assert results[0] == "ok"
    assert isinstance(results[2], asyncio.CancelledError), repr(results[2])
