"""CSV import of products, nodes, stock counts, store replenishment settings and connectors' product references:
every bad row is reported, and a bad file imports nothing.

The files are UTF-8 (a leading BOM is fine), comma-separated (or semicolon-separated when the header
line has semicolons and no commas, as French spreadsheets export them), with a header row naming the
columns in any order. An empty cell means "not given": the field's default applies, or it is reported
as missing. Booleans are true/false (also yes/no, 1/0).

    products  sku,name,weight_g,length_mm,width_mm,height_mm,price_amount,currency[,bulky][,hazardous][,active]
              price_amount in minor units (1299 with currency EUR is 12.99 €)
    nodes     id,type,name,line1,postal_code,city,country,lat,lng
              [,timezone][,fulfills][,hands_over][,opening_hours][,daily_capacity]
              [,handling_cost_per_order][,handling_cost_per_unit][,accept_within_minutes]
              [,release_waves][,confirms_cancel][,collect_within_days][,returns_to][,region]
              [,public_holidays][,takes][,compartments][,collection_car_share][,active]
              fulfills and hands_over: delivery modes separated by | (home_standard|click_and_collect)
              release_waves: local times separated by | (08:00|14:00)
              opening_hours: day or day range, then spans, days separated by ;
                  mon-fri 09:00-19:00; sat 10:00-12:30,14:00-18:00; sun 10:00-13:00
              or the JSON object the API takes ({"mon": [["09:00", "19:00"]]}); days not named are closed
              takes: limits separated by ; (see ``cells.parse_takes``)
                  max 30 kg; length 120 cm; sides 150 cm; girth 300 cm; hazardous
              compartments: a locker bank's sizes separated by ; size, inner size in mm, weight, count
                  S 80x380x640 25kg 60; M 190x380x640 25kg 55; L 410x380x640 25kg 35
              both also as the JSON the API takes
    stock     node_id,sku,on_hand[,safety_stock]
              an empty safety_stock keeps the node's current one (0 for a new row)
    replenishment-stores
              node_id,source_node_id,order_weekdays,lead_days[,lead_sigma_days]
              order_weekdays: ISO weekdays separated by | (1|4, 1 = Monday), or their names (mon|thu)
    replenishment-rules
              [node_id][,sku][,policy][,service_level][,presentation_min][,shelf_capacity][,case_pack]
              [,rounding_threshold][,min_order][,days_of_supply]
              an empty node_id or sku is * (every store, every SKU); a sku may be a class (DEC-*)
    connector-skus
              connector_id,platform_ref,sku
              the mapping of each connector named is replaced by its rows

Errors name the file, the line as a text editor counts it (the header is line 1) and the column:
``stock.csv line 7, column on_hand: Input should be greater than or equal to 0``.
"""

import csv
import io
import re
from array import array
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .cells import DAYS, parse_compartments, parse_hours, parse_takes
from .domain.errors import FieldError, InvalidInput
from .services.connectors import settings as connectors
from .services.connectors.inputs import ConnectorSkuIn
from .services.reference import records
from .services.reference.inputs import NodeIn, ProductIn
from .services.replenishment import settings
from .services.replenishment.inputs import ReplenishmentRuleIn, ReplenishmentStoreIn
from .services.runtime.context import Context
from .services.runtime.shapes import CODE_MAX_LENGTH, CODE_PATTERN, INT32
from .services.stock import bulk
from .services.stock.inputs import StockIn, StockLine

SHOWN_ERRORS = 50
CHUNK = 20_000  # stock rows read and copied at a time


class Kind(StrEnum):
    PRODUCTS = "products"
    NODES = "nodes"
    STOCK = "stock"
    REPLENISHMENT_STORES = "replenishment-stores"
    REPLENISHMENT_RULES = "replenishment-rules"
    CONNECTOR_SKUS = "connector-skus"


@dataclass(frozen=True)
class Row:
    line: int
    item: BaseModel


@dataclass(frozen=True)
class Layout:
    model: type[BaseModel]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # Cells to the model's input; a cell it cannot read is left out and reported as (column, reason).
    shape: Callable[[dict[str, str], list[tuple[str, str]]], dict]
    # Where a nested field of the model comes from: (outer, inner) -> column.
    nested: dict[tuple[str, str], str] = field(default_factory=dict)
    # The column to blame for a rule that looks at the whole row (NodeIn checks hands_over that way).
    whole_row: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def _modes(cell: str) -> list[str]:
    return [m.strip() for m in cell.split("|") if m.strip()]


def _read_cells(c: dict[str, Any], bad: list[tuple[str, str]], readers: Iterable[tuple[str, Callable]]) -> None:
    """Each cell written in a compact form replaced by what it reads as; one that cannot be read is left out and
    reported, so that the model does not report it again as missing."""
    for key, read in readers:
        if key in c:
            try:
                c[key] = read(c.pop(key))
            except ValueError as exc:
                bad.append((key, str(exc)))


def _as_given(c: dict[str, str], bad: list[tuple[str, str]]) -> dict:
    return c


def _product(c: dict[str, str], bad: list[tuple[str, str]]) -> dict:
    price = {k: v for k, v in (("amount", c.pop("price_amount", None)), ("currency", c.pop("currency", None))) if v}
    return {**c, "price": price}


def _node(c: dict[str, Any], bad: list[tuple[str, str]]) -> dict[str, Any]:
    address = {k: c.pop(k) for k in ("line1", "postal_code", "city", "country", "lat", "lng") if k in c}
    for key in ("fulfills", "hands_over", "release_waves"):
        if key in c:
            c[key] = _modes(c[key])
    _read_cells(c, bad, (("opening_hours", parse_hours), ("takes", parse_takes), ("compartments", parse_compartments)))
    return {**c, "address": address}


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# An ISO weekday by its short name (as opening hours write it) or its full one.
_WEEKDAY_NAMES = {name: day for names in (DAYS, _FULL_DAYS) for day, name in enumerate(names, 1)}


def _weekdays(cell: str) -> list[int | str]:
    """``1|4`` or ``mon|thu`` (planners write the names) as ISO weekdays. A number is left to the model, which
    knows the range and words the error; a word that is no day's name is refused here."""
    days: list[int | str] = []
    for word in _modes(cell):
        if word.lower() in _WEEKDAY_NAMES:
            days.append(_WEEKDAY_NAMES[word.lower()])
        elif re.fullmatch(r"[+-]?[0-9]+", word):
            days.append(word)
        else:
            raise ValueError(f"{word!r} is not a weekday: 1 … 7 (1 = Monday) or mon … sun")
    return days


def _store(c: dict[str, Any], bad: list[tuple[str, str]]) -> dict[str, Any]:
    _read_cells(c, bad, (("order_weekdays", _weekdays),))
    return c


LAYOUTS = {
    Kind.PRODUCTS: Layout(
        ProductIn,
        ("sku", "name", "weight_g", "length_mm", "width_mm", "height_mm", "price_amount", "currency"),
        ("bulky", "hazardous", "active"),
        _product,
        nested={("price", "amount"): "price_amount", ("price", "currency"): "currency"},
    ),
    Kind.NODES: Layout(
        NodeIn,
        ("id", "type", "name", "line1", "postal_code", "city", "country", "lat", "lng"),
        ("timezone", "fulfills", "hands_over", "opening_hours", "daily_capacity", "handling_cost_per_order",
         "handling_cost_per_unit", "accept_within_minutes", "release_waves", "confirms_cancel",
         "collect_within_days", "returns_to", "region", "public_holidays", "takes", "compartments",
         "collection_car_share", "active"),
        _node,
        nested={("address", k): k for k in ("line1", "postal_code", "city", "country", "lat", "lng")},
        whole_row="hands_over",
    ),
    Kind.STOCK: Layout(StockIn, ("node_id", "sku", "on_hand"), ("safety_stock",), _as_given),
    Kind.REPLENISHMENT_STORES: Layout(
        ReplenishmentStoreIn, ("node_id", "source_node_id", "order_weekdays", "lead_days"), ("lead_sigma_days",),
        _store,
    ),
    # Every column may be left out: a rule without node_id or sku is every store's, or every SKU's.
    Kind.REPLENISHMENT_RULES: Layout(
        ReplenishmentRuleIn, (), ("node_id", "sku", *settings.RULE_FIELDS), _as_given,
        whole_row="presentation_min",  # the one rule across fields: the shelf shows no more than it holds
    ),
    Kind.CONNECTOR_SKUS: Layout(ConnectorSkuIn, ("connector_id", "platform_ref", "sku"), (), _as_given),
}


def _column(layout: Layout, loc: tuple) -> str | None:
    if not loc:
        return layout.whole_row
    if len(loc) > 1 and (loc[0], loc[1]) in layout.nested:
        return layout.nested[(loc[0], loc[1])]
    return str(loc[0]) if str(loc[0]) in layout.columns else layout.whole_row


def _where(name: str, line: int, column: str | None) -> str:
    return f"{name} line {line}" + (f", column {column}" if column else "")


def _reason(error: ErrorDetails) -> str:
    return "missing value" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")


class BadFile(InvalidInput):
    """What is wrong with the file itself, each error already naming its line and column."""


def _invalid(name: str, errors: list[FieldError]) -> BadFile:
    shown = [f"{e.field}: {e.reason}" for e in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        shown.append(f"… and {len(errors) - SHOWN_ERRORS} more")
    bad_lines = {e.field.partition(", column ")[0] for e in errors}
    head = f"{name}: {len(bad_lines)} bad line{'s' if len(bad_lines) != 1 else ''}, nothing imported"
    return BadFile(errors, detail="\n".join([head, *shown]))


def _header(layout: Layout, name: str, header: list[str]) -> list[FieldError]:
    errors, seen = [], set()
    for col in header:
        if col not in layout.columns:
            known = ", ".join(layout.columns)
            errors.append(FieldError(f"{name} line 1", f"unknown column {col!r} (the columns are {known})"))
        elif col in seen:
            errors.append(FieldError(f"{name} line 1", f"column {col} is given twice"))
        seen.add(col)
    errors += [FieldError(f"{name} line 1", f"missing column {col}") for col in layout.required if col not in seen]
    return errors


def parse(kind: Kind, lines: Iterable[str], name: str) -> list[Row]:
    """The file's rows as validated input models, or InvalidInput listing every bad line."""
    layout = LAYOUTS[kind]
    errors: list[FieldError] = []
    rows = []
    for start, cells in _records(layout, lines, name, errors):
        item, found = _validated(layout, start, cells, name)
        errors += found
        if item is not None and not found:
            rows.append(Row(start, item))
    if errors:
        raise _invalid(name, errors)
    return rows


def _records(layout: Layout, lines: Iterable[str], name: str,
             errors: list[FieldError]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, non-empty cells by column) for each record; a record with the wrong number of cells goes to
    ``errors``. A bad header, or a file that is not CSV, is InvalidInput at once."""
    lines = iter(lines)
    first = next(lines, "")
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if not any(header):
            raise _invalid(name, [FieldError(f"{name} line 1", "the file is empty; a header row is needed")])
        if found := _header(layout, name, header):
            raise _invalid(name, found)
        line = reader.line_num + 1  # the line the next record starts on (a quoted cell may span lines)
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines are allowed anywhere
            if len(record) != len(header):
                errors.append(FieldError(_where(name, start, None),
                                         f"{len(record)} cells, but the header has {len(header)} columns"))
                continue
            yield start, {col: cell.strip() for col, cell in zip(header, record, strict=True) if cell.strip()}
    except csv.Error as exc:
        raise _invalid(name, [FieldError(_where(name, reader.line_num, None), f"unreadable CSV: {exc}")]) from None


def _validated(layout: Layout, start: int, cells: dict[str, str], name: str) -> tuple[BaseModel | None,
                                                                                     list[FieldError]]:
    """The row's input model, and what is wrong with it (each error naming the line and column)."""
    unreadable: list[tuple[str, str]] = []
    data = layout.shape(cells, unreadable)
    found = [FieldError(_where(name, start, column), reason) for column, reason in unreadable]
    try:
        return layout.model.model_validate(data, strict=False), found  # a cell is text: "12" is the number 12
    except ValidationError as exc:
        for e in exc.errors():
            column = _column(layout, e["loc"])
            # A cell left out as unreadable is already reported; it is not "missing" as well.
            if not (e["type"] == "missing" and column in dict(unreadable)):
                found.append(FieldError(_where(name, start, column), _reason(e)))
        return None, found


_CODE = re.compile(CODE_PATTERN)
_UNITS = re.compile(r"[0-9]{1,10}")


def _plain_count(cells: dict[str, str]) -> StockLine | None:
    """The row when it is plainly good (codes of the allowed characters, units as digits within range), else
    None and the row goes through ``StockIn``, which knows every rule and words every error: this is only
    the short way for the millions of rows that pass."""
    node_id, sku, on_hand, safety = (cells.get("node_id"), cells.get("sku"), cells.get("on_hand"),
                                     cells.get("safety_stock"))
    if not (node_id and sku and on_hand and len(node_id) <= CODE_MAX_LENGTH and len(sku) <= CODE_MAX_LENGTH
            and _CODE.fullmatch(node_id) and _CODE.fullmatch(sku) and _UNITS.fullmatch(on_hand)
            and (safety is None or _UNITS.fullmatch(safety))):
        return None
    units, kept = int(on_hand), None if safety is None else int(safety)
    if units > INT32 or (kept is not None and kept > INT32):
        return None
    return StockLine(node_id, sku, units, kept)


def stock_chunks(lines: Iterable[str], name: str, line_of: "array[int]",
                 size: int = CHUNK) -> Iterator[list[StockLine]]:
    """A stock file's rows in chunks of ``size``, checked as ``parse`` checks them; ``line_of`` receives each
    row's line. Every bad line is reported at the end (InvalidInput); after the first, nothing more comes."""
    layout = LAYOUTS[Kind.STOCK]
    errors: list[FieldError] = []
    chunk: list[StockLine] = []
    for start, cells in _records(layout, lines, name, errors):
        row = _plain_count(cells)
        if row is None:
            item, found = _validated(layout, start, cells, name)
            errors += found
            if item is None or found:
                continue
            stock = cast(StockIn, item)  # (the stock layout's model)
            row = StockLine(stock.node_id, stock.sku, stock.on_hand, stock.safety_stock)
        if errors:
            continue
        chunk.append(row)
        line_of.append(start)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if errors:
        raise _invalid(name, errors)
    if chunk:
        yield chunk


def _chain(first: str, rest: Iterable[str]):
    yield first
    yield from rest


def _unreadable(path: Path, reason: str) -> BadFile:
    return BadFile([FieldError(str(path), reason)], detail=f"{path}: {reason}")


@contextmanager
def _opened(path: Path) -> Iterator[TextIO]:
    """The file as text; one that cannot be opened, or is not UTF-8, is BadFile naming it."""
    try:
        f = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None
    with f:
        try:
            yield f
        except UnicodeDecodeError as exc:
            raise _unreadable(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_file(kind: Kind, path: Path) -> list[Row]:
    with _opened(path) as f:
        return parse(kind, f, path.name)


def read_text(kind: Kind, text: str, name: str) -> list[Row]:
    return parse(kind, io.StringIO(text, newline=""), name)


def _from_service(exc: InvalidInput, lines: Sequence[int], kind: Kind, name: str) -> InvalidInput:
    """The service names items by position (``items.3.sku``); the user wants the file's line and column.
    ``lines``: the line of each item."""
    layout = LAYOUTS[kind]

    def line_of(match: re.Match) -> str:
        i = int(match[1])
        return f"line {lines[i]}" if i < len(lines) else match[0]

    errors = []
    for e in exc.errors:
        parts = e.field.split(".")
        reason = re.sub(r"\bitems\.(\d+)\b", line_of, e.reason)
        if len(parts) >= 2 and parts[0] == "items" and parts[1].isdigit() and int(parts[1]) < len(lines):
            column = _column(layout, tuple(parts[2:])) if len(parts) > 2 else None
            errors.append(FieldError(_where(name, lines[int(parts[1])], column), reason))
        else:
            errors.append(FieldError(f"{name} {e.field}", reason))
    return _invalid(name, errors)


def _all_at_once(put: Callable[[Context, Any], Awaitable[int]]) -> Callable[..., Awaitable[int]]:
    """A writer that reports no progress of its own (a network's settings are a few thousand rows at most):
    the rows count as done once all are stored."""
    async def write(ctx: Context, items: list[BaseModel], progress: Callable[[int], None] | None = None) -> int:
        count = await put(ctx, items)
        if progress:
            progress(count)
        return count

    return write


WRITERS: dict[Kind, Callable[..., Awaitable[int]]] = {
    Kind.PRODUCTS: records.upsert_products,
    Kind.NODES: records.upsert_nodes,
    Kind.REPLENISHMENT_STORES: _all_at_once(settings.put_stores),
    Kind.REPLENISHMENT_RULES: _all_at_once(settings.put_rules),
    Kind.CONNECTOR_SKUS: _all_at_once(connectors.put_skus),
}


async def write(ctx: Context, kind: Kind, rows: list[Row], name: str,
                progress: Callable[[int], None] | None = None) -> int:
    """Store the rows in one transaction; the service's complaints come back as file lines and columns."""
    items = [r.item for r in rows]
    try:
        if kind is Kind.STOCK:  # rows applied: a row resting on a later count is left as it is
            stock = cast(list[StockIn], items)  # (the stock layout's rows)
            lines = [StockLine(s.node_id, s.sku, s.on_hand, s.safety_stock) for s in stock]
            applied, _stale = await bulk.import_counts(ctx, [lines], ref=f"import {name}", progress=progress)
            return applied
        return await WRITERS[kind](ctx, items, progress=progress)
    except InvalidInput as exc:
        raise _from_service(exc, [r.line for r in rows], kind, name) from None


async def import_file(ctx: Context, kind: Kind, path: Path, progress: Callable[[int], None] | None = None) -> int:
    """``oms import``: the file read and stored in one transaction. A stock file streams through in chunks
    (a network's counts are millions of rows); the other kinds are read whole first."""
    if kind is not Kind.STOCK:
        return await write(ctx, kind, read_file(kind, path), path.name, progress)
    line_of = array("I")
    try:
        with _opened(path) as f:
            applied, _stale = await bulk.import_counts(ctx, stock_chunks(f, path.name, line_of),
                                                       ref=f"import {path.name}", progress=progress)
    except BadFile:
        raise
    except InvalidInput as exc:
        raise _from_service(exc, line_of, kind, path.name) from None
    return applied
