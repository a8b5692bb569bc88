"""What customer service does to an order from its page, each in two steps: the form, then a page that
says what will happen, with the reason, and a button that does it (the reason goes into the timeline)."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import FieldError, InvalidInput, OmsError
from ..services.orders import cancel, changes, queries
from ..services.orders.inputs import AddressChangeIn, CancelIn, CancelLine
from ..services.returns import rma
from ..services.returns.inputs import ReturnIn
from .labels import EN
from .pages import Session, SignedIn, checked, form_of, page, problem

router = APIRouter(prefix="/console/orders", include_in_schema=False)
# What an action would do (lines to show) and the call that does it, from the form and the order.
Plan = tuple[list[str], Callable[[], Awaitable[object]]]


async def _two_step(request: Request, session: Session, order_id: str, title: str,
                    plan: Callable[[dict, dict, object], Plan]):
    who = session.who
    back = f"/console/orders/{order_id}"
    ctx = request.app.state.ctx
    try:
        form = await form_of(request, session)
        found = await queries.get_order(ctx, order_id, principal=who)
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidInput([FieldError("reason", EN["reason_required"])])
        summary, do = plan(form, found, who)
        if form.get("confirmed") != "1":
            kept = {k: v for k, v in form.items() if k not in ("csrf", "confirmed")}
            return page(request, "confirm.html", session, section="orders", o=found, title=title,
                        summary=summary, reason=reason, fields=kept, action=str(request.url.path))
        await do()
    except OmsError as exc:
        return problem(request, exc, session, back)
    return RedirectResponse(f"{back}?done=1", status_code=303)


def _units(form: dict, found: dict, prefix: str) -> list[dict]:
    """The units per order line a form gives (``<prefix>-<line_no>``), or InvalidInput naming the field."""
    asked, errors = [], []
    for ln in found["lines"]:
        raw = form.get(f"{prefix}-{ln['line_no']}", "0").strip() or "0"
        if not raw.isdigit():
            errors.append(FieldError(f"{prefix}-{ln['line_no']}", EN["whole_units"]))
        elif int(raw):
            asked.append({"line_no": ln["line_no"], "sku": ln["sku"], "quantity": int(raw)})
    if errors:
        raise InvalidInput(errors)
    if not asked:
        raise InvalidInput([FieldError("lines", EN["no_units"])])
    return asked


@router.post("/{order_id}/cancel")
async def cancel_units(request: Request, session: SignedIn, order_id: str):
    def plan(form, found, who) -> Plan:
        asked = _units(form, found, "qty")
        body = CancelIn(lines=[CancelLine(line_no=x["line_no"], quantity=x["quantity"]) for x in asked],
                        reason=form["reason"].strip())
        return ([f"{x['quantity']} × {x['sku']}" for x in asked],
                lambda: cancel.cancel_order(request.app.state.ctx, order_id, body, principal=who))
    return await _two_step(request, session, order_id, EN["confirm_cancel"], plan)


@router.post("/{order_id}/address")
async def change_address(request: Request, session: SignedIn, order_id: str):
    def plan(form, found, who) -> Plan:
        address = {k: form.get(k, "").strip() for k in ("line1", "postal_code", "city", "country", "lat", "lng")}
        body = checked(AddressChangeIn, {"address": address, "reason": form["reason"].strip()})
        a = body.address
        return ([f"{a.line1}, {a.postal_code} {a.city} ({a.country})"],
                lambda: changes.change_address(request.app.state.ctx, order_id, body, principal=who))
    return await _two_step(request, session, order_id, EN["confirm_address"], plan)


@router.post("/{order_id}/return")
async def start_return(request: Request, session: SignedIn, order_id: str):
    def plan(form, found, who) -> Plan:
        asked = _units(form, found, "ret")
        channel = who.channel_filter() or form.get("channel") or found["channel"]
        body = checked(ReturnIn, {
            "order_id": order_id, "channel": channel, "method": form.get("method") or "mail",
            "lines": [{"sku": x["sku"], "line_no": x["line_no"], "quantity": x["quantity"],
                       "reason": form["reason"].strip()[:200]} for x in asked]})
        return ([f"{x['quantity']} × {x['sku']}" for x in asked] + [f"{EN['method']}: {body.method}"],
                lambda: rma.start_return(request.app.state.ctx, body, principal=who))
    return await _two_step(request, session, order_id, EN["confirm_return"], plan)
