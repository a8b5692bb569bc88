"""Settings, read from the environment (prefix ``OMS_``) and nothing else."""

from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import AwareDatetime, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = "sqlite:///" + str(Path("var") / "oms.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    database_url: str = DEFAULT_SQLITE
    # An admin key created at start: as long as the keys the service makes, so that it is not guessed.
    bootstrap_admin_key: str | None = Field(default=None, min_length=32, max_length=200)
    # The largest request body read, in bytes; bulk writes of reference data and stock feeds may be larger.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_bulk_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Failed authentications (a wrong API key, console key or carrier signature) an address may make in a
    # minute before it is answered 429 for the rest of the minute (0: no limit).
    auth_failures_per_minute: int = Field(default=30, ge=0)
    # Connections kept open per process: enough for every concurrent request to hold one.
    db_pool_size: int = Field(default=40, ge=1, le=500)
    # How long a verified API key is trusted from memory before the database is asked again.
    key_cache_seconds: float = Field(default=10.0, ge=0)
    # How often the reference data (products, nodes) is checked for a newer version.
    reference_refresh_seconds: float = Field(default=1.0, ge=0)
    # How old the in-memory stock behind availability answers may be before it is brought up to date.
    availability_max_age_seconds: float = Field(default=0.25, ge=0)
    # How often a server releases expired cart holds and backorders whose units are there (0: never;
    # captures still free expired holds when they need to).
    hold_sweep_seconds: float = Field(default=5.0, ge=0)
    # A slow simulated flow of customers, nodes and carriers runs in the server in real time (the demo
    # retailer's database only: ``oms serve --live``, ``make run``).
    live_demo: bool = False
    # At most how often the sweep plans the orders waiting for release again together, when stock counts
    # moved (0: only before a release wave and on demand).
    reoptimise_seconds: float = Field(default=60.0, ge=0)
    # The local time (HH:MM, each store's own) from which the sweep proposes what the stores ordering that day
    # should receive, once a day per store ("": never; runs are then started by hand or with ``oms replenish``).
    replenish_at: str = Field(default="05:00", pattern=r"^(|([01][0-9]|2[0-3]):[0-5][0-9])$")
    # How often the connectors' inboxes are looked at for records to capture (0: never).
    inbox_seconds: float = Field(default=0.25, ge=0)
    # How often the outbox relay hands new events on and due webhook deliveries are sent (0: never).
    relay_seconds: float = Field(default=0.5, ge=0)
    # NATS server for the event stream (JetStream), e.g. nats://127.0.0.1:4222; none: no stream.
    nats_url: str | None = None
    nats_stream: str = "OMS_EVENTS"
    nats_subject: str = "oms.events"
    # Each carrier's secret for signing its tracking updates (JSON: {"simulated": "…"}).
    carrier_secrets: dict[str, str] = {}
    # La Poste's Suivi v2 (Colissimo, Chronopost parcels), asked for the news of parcels shipped with them:
    # the application's X-Okapi-Key (none: not asked), the API's address, how often a parcel is asked at first
    # (doubled each time nothing is new, up to 12 hours).
    laposte_okapi_key: str | None = None
    laposte_url: str = "https://api.laposte.fr/suivi/v2"
    tracking_poll_seconds: float = Field(default=1800.0, ge=60)
    # Carriers (or a TMS) the OMS books shipments with over HTTP (JSON: {"colissimo": "https://…/book"}).
    carrier_endpoints: dict[str, str] = {}
    # What a Prometheus scraper must send to read /metrics (none: open, like the health probes).
    metrics_token: str | None = None
    # The instant the service's clock starts at, flowing on from there (tests, rehearsals of a given day);
    # none: the wall clock.
    clock_at: AwareDatetime | None = None
    # Webhooks to loopback, private, link-local … addresses (the service's own network) are refused unless
    # allowed: for tests and on-premise set-ups whose partners are inside.
    webhook_allow_private: bool = False
    # The Fernet key that seals webhook secrets in the database (a copy of the database alone cannot sign
    # deliveries). None: see ``services.secret_box`` for what happens without it.
    secret_key: str | None = None

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Fernet(value)
            except ValueError:
                raise ValueError("OMS_SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes), e.g. "
                                 "from `python -c 'from cryptography.fernet import Fernet; "
                                 "print(Fernet.generate_key().decode())'`") from None
        return value


def async_url(url: str) -> str:
    """The SQLAlchemy async URL for a plain ``postgresql://`` or ``sqlite:///`` URL."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")
