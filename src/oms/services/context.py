"""What every service needs, built once by ``oms.bootstrap``."""

from dataclasses import dataclass, field

from ..clock import Clock
from ..config import Settings
from ..db.engine import Database
from .capacity_board import CapacityBoard
from .keys import KeyCache
from .page_cache import PageCache
from .reference_cache import ReferenceCache
from .secret_box import SecretBox
from .stock_mirror import StockMirror
from .throttle import FailureThrottle


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=Clock)  # the one source of "now" (tests set it)
    reference: ReferenceCache = field(default_factory=ReferenceCache)
    keys: KeyCache = field(default_factory=KeyCache)
    stock: StockMirror = field(default_factory=StockMirror)
    capacity: CapacityBoard = field(default_factory=CapacityBoard)
    throttle: FailureThrottle = field(default_factory=lambda: FailureThrottle(30))  # failed authentications
    pages: PageCache = field(default_factory=PageCache)
    promise_pages: PageCache = field(default_factory=PageCache)
    background: list = field(default_factory=list)  # tasks the server runs beside the requests
    batch: dict = field(default_factory=dict)  # where the sweep's passes stand (the batch's last run …)
    stream: object | None = None  # where the relay publishes events besides webhooks (``stream.NatsStream``)
    secrets: SecretBox | None = None  # seals webhook secrets (built from the settings when not given)

    def __post_init__(self) -> None:
        if self.secrets is None:
            self.secrets = SecretBox(self.settings)
