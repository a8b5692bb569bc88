"""What every service is handed: the settings, the database, the clock and what the process keeps in memory.

Built once by ``oms.bootstrap`` (the composition root). The parts it holds belong to the packages that use
them (the stock mirror to ``stock``, the reference cache to ``reference`` …); they are named here for their
types only, so that every package may take a context without importing the packages above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...clock import Clock
from ...config import Settings
from ...db.engine import Database
from .page_cache import PageCache
from .throttle import FailureThrottle

if TYPE_CHECKING:
    from ..partners.secret_box import SecretBox
    from ..partners.stream import NatsStream
    from ..promise.capacity_board import CapacityBoard
    from ..reference.cache import ReferenceCache
    from ..reference.keys import KeyCache
    from ..stock.mirror import StockMirror


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock  # the one source of "now" (tests set it)
    reference: ReferenceCache
    keys: KeyCache
    stock: StockMirror
    capacity: CapacityBoard
    secrets: SecretBox  # seals webhook secrets
    throttle: FailureThrottle  # failed authentications
    stream: NatsStream | None = None  # where the relay publishes events besides webhooks
    pages: PageCache = field(default_factory=PageCache)
    promise_pages: PageCache = field(default_factory=PageCache)
    background: list = field(default_factory=list)  # tasks the server runs beside the requests
    batch: dict = field(default_factory=dict)  # where the sweep's passes stand (the batch's last run …)
    calls: dict = field(default_factory=dict)  # each connector's calls to its platform: its token bucket
    # Who else takes the events the relay hands on, in its transaction: async (conn, events, at) (the
    # connectors' reports to their platforms). Set by the composition root: a lower layer calls a higher one.
    readers: list = field(default_factory=list)
