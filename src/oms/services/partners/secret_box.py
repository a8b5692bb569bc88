"""Webhook secrets sealed at rest (Fernet), with a key kept outside the database: a copy of the database
alone (a backup, a dump handed to support) cannot sign deliveries in the OMS's name.

The key is ``OMS_SECRET_KEY``. Without it:
- on SQLite (the embedded default: one process on one machine), a key is made at first need in
  ``var/secret.key``, readable by its owner only, so that ``make run`` works as it is; the README says to keep
  that file out of the database's backups;
- on PostgreSQL, where several servers share the database, a key one server made for itself would not open
  the secrets another server sealed: making a webhook is refused, saying to set ``OMS_SECRET_KEY`` (the same on
  every server), rather than failing deliveries later.
Subscriptions made before secrets were sealed keep theirs in ``secret`` until a server with the key seals
them (at start, ``seal_plain``); the column is then emptied.
"""

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, update

from ...config import Settings, is_sqlite
from ...db import tables as t
from ...domain.errors import Conflict

KEY_FILE = Path("var") / "secret.key"


class SecretKeyMissing(Conflict):
    code = "secret_key_missing"
    title = "No key to seal secrets"


class SecretUnreadable(Exception):
    """A sealed secret the key at hand does not open (another OMS_SECRET_KEY sealed it)."""


class SecretBox:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._fernet: Fernet | None = None

    def available(self) -> bool:
        return bool(self._settings.secret_key) or is_sqlite(self._settings.database_url)

    def _key(self) -> Fernet:
        if self._fernet is None:
            if self._settings.secret_key:
                self._fernet = Fernet(self._settings.secret_key)
            elif is_sqlite(self._settings.database_url):
                self._fernet = Fernet(_key_file(KEY_FILE))
            else:
                raise SecretKeyMissing("secrets (webhooks', connectors') are sealed with OMS_SECRET_KEY, which is "
                                       "not set: set it (the same on every server) to make them")
        return self._fernet

    def seal(self, secret: str) -> str:
        return self._key().encrypt(secret.encode()).decode()

    def open(self, row) -> str:
        """A subscription's secret, from its sealed copy or, made before sealing, its plain one."""
        return row.secret if row.sealed_secret is None else self.unseal(row.sealed_secret)

    def unseal(self, sealed: str) -> str:
        try:
            return self._key().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("the secret was sealed with another OMS_SECRET_KEY") from None


def _key_file(path: Path) -> bytes:
    """The key in ``path``, made (owner-only) if there is none yet."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key() + b"\n")
    return path.read_bytes().strip()


async def seal_plain(ctx) -> int:
    """Seal the secrets of subscriptions made before secrets were sealed (when a key is at hand)."""
    w = t.webhooks.c
    async with ctx.db.write() as conn:
        rows = (await conn.execute(select(w.id, w.secret).where(w.sealed_secret.is_(None)))).all()
        if rows and ctx.secrets.available():
            for r in rows:
                await conn.execute(update(t.webhooks).where(w.id == r.id).values(
                    sealed_secret=ctx.secrets.seal(r.secret), secret=""))
            return len(rows)
    return 0
