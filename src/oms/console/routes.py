"""The console's pages: sign-in, the order search and the order page with its actions. Each page reads and
changes through the same services as the API, with the signed-in key's role and scope."""

from datetime import date
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import FieldError, Forbidden, InvalidInput, NotFound, OmsError, Unauthenticated
from ..domain.vocabulary import Channel, Role
from ..services import cancel, queries
from ..services.inputs import CancelIn, CancelLine
from . import sessions
from .labels import EN
from .pages import form_of, page, problem, to_sign_in, who_is

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
async def home(request: Request):
    try:
        who, _ = await who_is(request)
    except Unauthenticated:
        return to_sign_in()
    return RedirectResponse("/console/store" if who.role == Role.NODE else "/console/orders", status_code=303)


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
    done.set_cookie(sessions.COOKIE, token, max_age=int(sessions.LASTS.total_seconds()), path="/console",
                    httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return done


@router.post("/sign-out")
async def sign_out(request: Request):
    try:
        _, csrf = await who_is(request)
        await form_of(request, csrf)
        await sessions.sign_out(request.app.state.ctx, request.cookies.get(sessions.COOKIE))
    except (Unauthenticated, Forbidden):
        pass
    done = to_sign_in()
    done.delete_cookie(sessions.COOKIE, path="/console")
    return done


@router.get("/orders")
async def orders(request: Request, q: str | None = None, status: str | None = None, channel: str | None = None,
                 day: str | None = None, cursor: str | None = None):
    try:
        who, csrf = await who_is(request)
    except Unauthenticated:
        return to_sign_in()
    filters = {"q": q, "status": status or None, "channel": channel or None, "day": day or None}
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        return problem(request, InvalidInput([FieldError("day", EN["bad_day"])]), who, csrf,
                        "/console/orders")
    try:
        results = await queries.search_orders(request.app.state.ctx, principal=who, text=q, status=filters["status"],
                                           channel=filters["channel"], day=when, cursor=cursor, limit=25)
    except OmsError as exc:
        return problem(request, exc, who, csrf, "/console/orders")
    more = {k: v for k, v in filters.items() if v}
    next_url = "/console/orders?" + urlencode({**more, "cursor": results["next_cursor"] or ""})
    channels = [who.scope] if who.role == Role.CHANNEL else list(Channel)
    return page(request, "orders.html", who, csrf, section="orders", page=results, channels=channels,
                 next_url=next_url, **filters)


@router.get("/orders/{order_id}")
async def order(request: Request, order_id: str):
    try:
        who, csrf = await who_is(request)
    except Unauthenticated:
        return to_sign_in()
    ctx = request.app.state.ctx
    try:
        found = await queries.get_order(ctx, order_id, principal=who)
        events = await queries.order_events(ctx, order_id, principal=who)
    except OmsError as exc:
        return problem(request, exc, who, csrf, "/console/orders")
    try:
        sourcing = await queries.order_sourcing(ctx, order_id, principal=who)
    except NotFound:
        sourcing = None
    can_cancel = who.role in (Role.ADMIN, Role.CHANNEL) and found["status"] not in ("cancelled",)
    return page(request, "order.html", who, csrf, section="orders", o=found, events=events, sourcing=sourcing,
                 can_cancel=can_cancel)


@router.post("/orders/{order_id}/cancel")
async def cancel_units(request: Request, order_id: str):
    """Units to cancel, with a reason: first shown back for confirmation, then cancelled."""
    try:
        who, csrf = await who_is(request)
    except Unauthenticated:
        return to_sign_in()
    back = f"/console/orders/{order_id}"
    ctx = request.app.state.ctx
    try:
        form = await form_of(request, csrf)
        found = await queries.get_order(ctx, order_id, principal=who)
        asked = _asked(form, found)
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidInput([FieldError("reason", EN["reason_required"])])
        if form.get("confirmed") != "1":
            return page(request, "confirm_cancel.html", who, csrf, section="orders", o=found, asked=asked,
                         reason=reason)
        body = CancelIn(lines=[CancelLine(line_no=x["line_no"], quantity=x["quantity"]) for x in asked],
                        reason=reason)
        await cancel.cancel_order(ctx, order_id, body, principal=who)
    except OmsError as exc:
        return problem(request, exc, who, csrf, back)
    return RedirectResponse(f"{back}?done=1", status_code=303)


def _asked(form: dict[str, str], found: dict) -> list[dict]:
    """The units per line the form asks to cancel (``qty-<line_no>``), or InvalidInput naming the field."""
    asked, errors = [], []
    for ln in found["lines"]:
        raw = form.get(f"qty-{ln['line_no']}", "0").strip() or "0"
        if not raw.isdigit():
            errors.append(FieldError(f"qty-{ln['line_no']}", EN["whole_units"]))
        elif int(raw):
            asked.append({"line_no": ln["line_no"], "sku": ln["sku"], "quantity": int(raw)})
    if errors:
        raise InvalidInput(errors)
    if not asked:
        raise InvalidInput([FieldError("lines", EN["nothing_to_cancel"])])
    return asked
