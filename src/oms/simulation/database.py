"""Where a simulation runs: never on the retailer's own data. A copy of it (an SQLite file copied, a PostgreSQL
database made from it as a template), or a new database with the demo retailer loaded."""

import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

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
    if path.resolve() == target.resolve():
        raise InvalidInput([FieldError("--database", f"{path} is where the run's copy goes: choose another --report")])
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


NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # a database name PostgreSQL keeps whole (63 bytes at most)


def copy_name(seed: int, n: int) -> str:
    """The name of a run's copy: its own per process, seed and configuration, and short enough never to be cut
    (a name PostgreSQL cut to its first 63 bytes could be the source's)."""
    return f"oms_sim_{os.getpid()}_{seed}_{n}"


async def copy_postgres(source: str, name: str) -> str:
    """A new database ``name`` on the same server, made from the source as a template (the source must have no
    other connection while it is copied), replacing one of that name left by an earlier run."""
    parts = urlsplit(source)
    source_name = parts.path.lstrip("/")
    if not NAME.match(name) or source_name == name:
        raise InvalidInput([FieldError("--database", f"cannot copy {source_name!r} to {name!r}")])
    try:
        await _admin(source, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{source_name}"')
    except (DBAPIError, OSError) as exc:
        raise InvalidInput([FieldError("--database", f"could not copy {source_name!r}: {str(exc).splitlines()[0]} "
                                                     "(no other connection may use it while it is copied)")]) from None
    return urlunsplit(parts._replace(path=f"/{name}"))


async def drop_postgres(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if not NAME.match(name) or not name.startswith("oms_sim_"):
        raise ValueError(f"{name!r} is not a simulation's copy")  # never drop anything else
    await _admin(url, f'DROP DATABASE IF EXISTS "{name}"')


async def _admin(url: str, *statements: str) -> None:
    """Statements run outside a transaction, on the server's ``postgres`` database."""
    admin = make_engine(urlunsplit(urlsplit(url)._replace(path="/postgres")), pool_size=1)
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await admin.dispose()
