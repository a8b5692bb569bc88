"""Statements whose SQL differs between PostgreSQL and SQLite, written once here."""

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect: str, table: Table):
    """The dialect's INSERT, which has ``ON CONFLICT`` clauses."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert(dialect: str, table: Table, keys: list[str], update: list[str]):
    """INSERT … ON CONFLICT (keys) DO UPDATE SET the ``update`` columns from the new row."""
    stmt = insert_for(dialect, table)
    return stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})


def insert_unless_exists(dialect: str, table: Table):
    """INSERT … ON CONFLICT DO NOTHING: a duplicate on any unique key inserts nothing."""
    return insert_for(dialect, table).on_conflict_do_nothing()


def byte_order(dialect: str, *columns):
    """Sort as Python does (by code point), like every other writer of stock rows: PostgreSQL's own
    collation may sort keys otherwise, and two orders of locking deadlock. SQLite compares bytes already."""
    return [col.collate("C") for col in columns] if dialect == "postgresql" else list(columns)
