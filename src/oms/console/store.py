"""The store associate's queue: the store's work by step, the soonest promise first, what is late marked;
each step's action (accept or reject, pick with short picks, ready or ship, hand over after the code). Below
it, the transfers the node sends (accept, then pick and ship) and those coming to it (receive: units put on
the shelves and units damaged)."""

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import FieldError, InvalidInput, OmsError
from ..domain.lifecycle import ACTIONS, TRANSFER_HOLDING, FStatus, TStatus
from ..domain.vocabulary import PICKUP_MODES
from ..services.fulfillment import confirmations
from ..services.fulfillment.inputs import ActionIn, PickedLine
from ..services.orders import queries
from ..services.replenishment import transfers
from ..services.replenishment.inputs import TransferActionIn, TransferLineIn
from .labels import EN
from .pages import SignedIn, checked, each_field, form_of, page, problem, units

router = APIRouter(prefix="/console/store", include_in_schema=False)
# The queue's steps, in the order the work goes through them: (key, statuses).
STEPS = (("to_accept", (FStatus.RELEASED,)), ("to_pick", (FStatus.ACCEPTED,)),
         ("to_ready", (FStatus.PICKED, FStatus.PACKED)), ("to_hand_over", (FStatus.READY_FOR_PICKUP,)))


def _promised(f: dict) -> str:
    window = f["order"]["delivery"].get("promised") or {}
    return window.get("latest") or "9999"


def queue(items: list[dict], store: str, at: datetime) -> dict[str, list[dict]]:
    """The store's open work by step, soonest promise first; ``late``: its promised time has passed."""
    steps: dict[str, list[dict]] = {key: [] for key, _ in STEPS}
    for f in items:
        for key, statuses in STEPS:
            mine = f["node_id"] == store or (key == "to_accept" and store in f["details"].get("offered_to", ()))
            if key == "to_hand_over":
                mine = (f["handover_node_id"] or f["node_id"]) == store
            if f["status"] in statuses and mine:
                promised = _promised(f)
                steps[key].append({**f, "late": promised != "9999" and datetime.fromisoformat(promised) < at,
                                   "pickup": f["order"]["delivery"]["mode"] in PICKUP_MODES,
                                   "transfer": f["handover_node_id"] not in (None, f["node_id"])})
    for work in steps.values():
        work.sort(key=_promised)
    return steps


@router.get("")
async def store_queue(request: Request, session: SignedIn, node_id: str | None = None):
    who = session.who
    store = who.node_filter() or node_id
    if not store:
        return problem(request, InvalidInput([FieldError("node_id", EN["name_the_store"])]), session, "/console")
    ctx = request.app.state.ctx
    try:
        work = await queries.list_fulfillments(ctx, principal=who, node_id=store, status=None, cursor=None,
                                               limit=200)
        to_send = await transfers.list_transfers(ctx, principal=who, node_id=None, source_node_id=store,
                                                 status=SENDING, cursor=None, limit=200)
        coming = await transfers.list_transfers(ctx, principal=who, node_id=store, source_node_id=None,
                                                status=COMING, cursor=None, limit=200)
    except OmsError as exc:
        return problem(request, exc, session, "/console")
    return page(request, "store.html", session, section="store", store=store,
                steps=queue(work["items"], store, ctx.clock.now()), to_send=to_send["items"],
                coming=sorted(coming["items"], key=lambda x: (x["expected_on"], x["id"])))


# Transfers the node still has to send (their units still held at it), and those on their way to it (received
# ones are done).
SENDING = TRANSFER_HOLDING
COMING = (*TRANSFER_HOLDING, TStatus.SHIPPED)


@router.post("/transfers/{transfer_id}/{action}")
async def transfer_step(request: Request, session: SignedIn, transfer_id: str, action: str):
    """A transfer's step from the queue: ``accept``; ``ship`` (the units found: fewer is a short pick first);
    ``receive`` (units put on the shelves and units damaged, per SKU)."""
    back = "/console/store" + (f"?node_id={request.query_params['node_id']}" if "node_id" in request.query_params
                               else "")
    ctx = request.app.state.ctx
    try:
        form = await form_of(request, session)
        if action not in ("accept", "ship", "receive"):
            raise InvalidInput([FieldError("action", "must be accept, ship or receive")])
        counted = _counted(form, received=action == "receive")
        # Both words checked before either is said: a bad carrier name must not leave the pick said alone.
        picked = TransferActionIn(lines=counted) if action == "ship" and counted else None
        said = checked(TransferActionIn, {"lines": counted if action == "receive" else [],
                                          "carrier": form.get("carrier", "").strip() or None,
                                          "tracking_number": form.get("tracking_number", "").strip() or None})
        if picked is not None:
            await transfers.act(ctx, transfer_id, "pick", picked, principal=session.who)
        await transfers.act(ctx, transfer_id, action, said, principal=session.who)
    except OmsError as exc:
        return problem(request, exc, session, back)
    return RedirectResponse(back + ("&" if "?" in back else "?") + "done=1", status_code=303)


def _counted(form: dict[str, str], *, received: bool) -> list[TransferLineIn]:
    """Units per SKU from the form: found (``found-<sku>``), or put on the shelves and damaged (``got-<sku>``,
    ``damaged-<sku>``)."""
    def line(sku: str, value: str) -> TransferLineIn:
        damaged = units(form.get(f"damaged-{sku}", "0").strip() or "0") if received else 0
        quantity = units(value)
        if quantity is None or damaged is None:
            raise ValueError(EN["whole_units"])
        return TransferLineIn(sku=sku, quantity=quantity, damaged=damaged)
    return each_field(form, "got-" if received else "found-", line, invalid=EN["whole_units"], most=5000,
                      what="SKUs")


@router.post("/{fulfillment_id}/{action}")
async def act(request: Request, session: SignedIn, fulfillment_id: str, action: str):
    """A step done from the queue, through the same confirmation as a node's API call."""
    back = "/console/store" + (f"?node_id={request.query_params['node_id']}" if "node_id" in request.query_params
                               else "")
    try:
        form = await form_of(request, session)
        if action not in ACTIONS:
            raise InvalidInput([FieldError("action", f"must be one of {', '.join(ACTIONS)}")])
        await confirmations.act(request.app.state.ctx, fulfillment_id, action, _body(action, form),
                                principal=session.who)
    except OmsError as exc:
        return problem(request, exc, session, back)
    return RedirectResponse(back + ("&" if "?" in back else "?") + "done=1", status_code=303)


def _body(action: str, form: dict[str, str]) -> ActionIn:
    """What the form says for this step: the reason of a rejection, the units found, the parcel's carrier and
    number, the customer's code."""
    if action == "reject" and not form.get("reason", "").strip():
        raise InvalidInput([FieldError("reason", EN["reject_reason"])])
    picked = None
    if action == "pick":
        picked, wrong = [], []
        for name, value in form.items():
            if name.startswith("found-"):
                found = units(value)
                if found is None:
                    wrong.append(FieldError(name, EN["whole_units"]))
                else:
                    picked.append(PickedLine(sku=name.removeprefix("found-"), quantity=found))
        if wrong:
            raise InvalidInput(wrong)
    fields = {k: form[k].strip() or None for k in ("reason", "carrier", "tracking_number", "pickup_code") if k in form}
    return ActionIn(lines=picked, **fields)
