"""The console's pages: sign-in, the order search and the order page with its actions. Each page reads and
changes through the same services as the API, with the signed-in key's role and scope."""

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import FieldError, Forbidden, InvalidInput, NotFound, OmsError, Unauthenticated
from ..domain.lifecycle import OStatus
from ..domain.vocabulary import Channel
from ..services.orders import queries
from ..services.reference import sessions
from .labels import EN
from .pages import COOKIE, NotSignedIn, SignedIn, form_of, page, problem, session_of, to_sign_in

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
async def home(session: SignedIn):
    store = session.who.node_filter() is not None  # a store's key works from its queue
    return RedirectResponse("/console/store" if store else "/console/orders", status_code=303)


@router.get("/sign-in")
async def sign_in_form(request: Request):
    return page(request, "sign_in.html", None)


@router.post("/sign-in")
async def sign_in(request: Request):
    key = parse_qs((await request.body()).decode()).get("key", [""])[-1]
    try:
        token = await sessions.sign_in(request.app.state.ctx, key)
    except Unauthenticated as exc:
        return page(request, "sign_in.html", None, code=401, error=exc.detail)
    done = RedirectResponse("/console", status_code=303)
    done.set_cookie(COOKIE, token, max_age=int(sessions.LASTS.total_seconds()), path="/console",
                    httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return done


@router.post("/sign-out")
async def sign_out(request: Request):
    try:
        await form_of(request, await session_of(request))
        await sessions.sign_out(request.app.state.ctx, request.cookies.get(COOKIE))
    except (NotSignedIn, Forbidden):
        pass  # signed out already, or a form of another site: the cookie goes either way
    done = to_sign_in()
    done.delete_cookie(COOKIE, path="/console")
    return done


@router.get("/orders")
async def orders(request: Request, session: SignedIn, q: str | None = None, status: str | None = None,
                 channel: str | None = None, day: str | None = None, cursor: str | None = None):
    who = session.who
    filters: dict[str, Any] = {"q": q, "status": status or None, "channel": channel or None, "day": day or None}
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        return problem(request, InvalidInput([FieldError("day", EN["bad_day"])]), session, "/console/orders")
    try:
        results = await queries.search_orders(request.app.state.ctx, principal=who, text=q, status=filters["status"],
                                           channel=filters["channel"], day=when, cursor=cursor, limit=25)
    except OmsError as exc:
        return problem(request, exc, session, "/console/orders")
    more = {k: v for k, v in filters.items() if v}
    next_url = "/console/orders?" + urlencode({**more, "cursor": results["next_cursor"] or ""})
    return page(request, "orders.html", session, section="orders", page=results, channels=who.channels_seen(),
                next_url=next_url, **filters)


@router.get("/orders/{order_id}")
async def order(request: Request, session: SignedIn, order_id: str):
    who = session.who
    ctx = request.app.state.ctx
    try:
        found = await queries.get_order(ctx, order_id, principal=who)
        events = await queries.order_events(ctx, order_id, principal=who)
    except OmsError as exc:
        return problem(request, exc, session, "/console/orders")
    try:
        sourcing = await queries.order_sourcing(ctx, order_id, principal=who)
    except NotFound:
        sourcing = None
    writer = who.may("order_write")
    sent: dict[int, int] = {}
    for f in found["fulfillments"]:
        for fl in f["lines"]:
            sent[fl["line_no"]] = sent.get(fl["line_no"], 0) + fl["shipped"]
    return page(request, "order.html", session, section="orders", o=found, events=events, sourcing=sourcing,
                can_cancel=writer and found["status"] != OStatus.CANCELLED, sent=sent,
                can_readdress=writer and "address" in found["delivery"] and not any(sent.values()),
                can_return=writer and any(sent.values()), channels=list(Channel))
