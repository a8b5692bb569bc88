"""Where a simulation runs: never on the retailer's own data. A copy of it (an SQLite file copied, a PostgreSQL
database made from it as a template), or a new database with the demo retailer loaded."""

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text

from ..db.engine import make_engine
from ..domain.errors import FieldError, InvalidInput
from ..files import private_file, private_folder


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def copy_sqlite(source: str, target: Path) -> str:
    """A consistent copy of an SQLite database (its backup API: safe while the service writes to it)."""
    path = sqlite_path(source)
    if not path.is_file():
        raise InvalidInput([FieldError("--database", f"{path} does not exist")])
    _private(target)
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def _private(target: Path) -> None:
    """A new, empty file readable by its owner only, in a private folder: it will hold the retailer's data."""
    private_folder(target.parent)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    private_file(target)


def fresh_sqlite(target: Path) -> str:
    _private(target)
    return f"sqlite:///{target}"


async def copy_postgres(source: str, name: str) -> str:
    """A new database ``name`` on the same server, made from the source as a template (the source must have no
    other connection while it is copied), replacing one of that name left by an earlier run."""
    parts = urlsplit(source)
    source_name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum() or source_name == name:
        raise InvalidInput([FieldError("--database", f"cannot copy {source_name!r} to {name!r}")])
    admin = make_engine(urlunsplit(parts._replace(path="/postgres")), pool_size=1)
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source_name}"'))
    finally:
        await admin.dispose()
    return urlunsplit(parts._replace(path=f"/{name}"))


async def drop_postgres(url: str) -> None:
    parts = urlsplit(url)
    admin = make_engine(urlunsplit(parts._replace(path="/postgres")), pool_size=1)
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"'))
    finally:
        await admin.dispose()
