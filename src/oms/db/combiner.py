"""Group commit: requests that would each update the same hot row are sent together as one statement.

Reservations of one stock row are serial by nature: each waits for the row lock until the one before
has committed (and flushed its commit to disk). When a flash sale sends dozens of them at once, the
row, not the server, is the limit. So while one statement for a row is in flight, the next requests for
that row wait here; when it ends, all that gathered meanwhile go together, led by the first of them on
its own connection. Alone, a request goes straight through: nothing waits when there is no queue.

How a batch is written, and what happens to a batch the database refuses, is the caller's ``run``.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

# ``run(items)`` stores a batch and answers one outcome per item: a value, or an exception to raise.
Run = Callable[[list[Any]], Awaitable[list[Any]]]


@dataclass
class _Entry:
    item: Any
    run: Run
    future: asyncio.Future[Any] | None = None  # None: the request went straight through, leading its batch

    @property
    def answer(self) -> asyncio.Future[Any]:
        """Where a request that waited in a queue (every one but a batch's first) is answered."""
        assert self.future is not None
        return self.future


@dataclass
class _Lead:
    batch: list[_Entry] = field(default_factory=list)


class Combiner:
    def __init__(self) -> None:
        # A key is present while a statement for it is in flight; its list holds the requests waiting.
        self._waiting: dict[Hashable, list[_Entry]] = {}

    async def submit(self, key: Hashable, item: Any, run: Run) -> Any:
        queue = self._waiting.get(key)
        if queue is None:
            self._waiting[key] = []
            batch = [_Entry(item, run)]
        else:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            queue.append(_Entry(item, run, future))
            try:
                outcome = await future
            except asyncio.CancelledError:
                done = future.done() and not future.cancelled()
                if done and future.exception() is None and isinstance(future.result(), _Lead):
                    # Cancelled just as it was made leader: the batch must not be left waiting.
                    if not self._promote(future.result().batch[1:]):
                        self._hand_over(key)
                raise
            if not isinstance(outcome, _Lead):
                return outcome
            batch = outcome.batch  # this request leads the next batch, on its own connection
        return self._answer(await self._lead(key, batch))

    async def _lead(self, key: Hashable, batch: list[_Entry]) -> Any:
        """Run the batch to its end even if the leader is cancelled meanwhile: the others are answered,
        and the leader's connection stays in use until the statement is over."""
        task = asyncio.ensure_future(self._run(key, batch))
        cancelled = False
        while True:
            try:
                outcome = await asyncio.shield(task)
                break
            except asyncio.CancelledError:
                if task.done():
                    raise
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
        return outcome

    async def _run(self, key: Hashable, batch: list[_Entry]) -> Any:
        try:
            outcomes = await batch[0].run([e.item for e in batch])
        except Exception as exc:
            outcomes = [exc] * len(batch)
        finally:
            self._hand_over(key)
        for entry, outcome in zip(batch[1:], outcomes[1:], strict=True):
            answer = entry.answer
            if answer.done():  # its request was cancelled meanwhile: nobody waits for this answer
                continue
            if isinstance(outcome, BaseException):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)
        return outcomes[0]

    def _hand_over(self, key: Hashable) -> None:
        """The statement for ``key`` has ended: the requests that waited meanwhile go next, together."""
        queue = self._waiting.pop(key)
        self._waiting[key] = []
        if not self._promote(queue):
            del self._waiting[key]

    @staticmethod
    def _promote(entries: list[_Entry]) -> bool:
        """Make the first of these requests still waiting lead them all (a cancelled one never ran)."""
        live = [e for e in entries if not e.answer.done()]
        if live:
            live[0].answer.set_result(_Lead(live))
        return bool(live)

    @staticmethod
    def _answer(outcome: Any) -> Any:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
