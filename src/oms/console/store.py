"""The store associate's queue: the store's work by step, the soonest promise first, what is late marked;
each step's action (accept or reject, pick with short picks, ready or ship, hand over after the code)."""

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import FieldError, InvalidInput, OmsError
from ..domain.lifecycle import ACTIONS, FStatus
from ..domain.vocabulary import PICKUP_MODES
from ..services.fulfillment import confirmations
from ..services.fulfillment.inputs import ActionIn, PickedLine
from ..services.orders import queries
from .labels import EN
from .pages import SignedIn, form_of, page, problem

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
    try:
        work = await queries.list_fulfillments(request.app.state.ctx, principal=who, node_id=store, status=None,
                                               cursor=None, limit=200)
    except OmsError as exc:
        return problem(request, exc, session, "/console")
    return page(request, "store.html", session, section="store", store=store,
                steps=queue(work["items"], store, request.app.state.ctx.clock.now()))


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
                if not value.strip().isdigit():
                    wrong.append(FieldError(name, EN["whole_units"]))
                else:
                    picked.append(PickedLine(sku=name.removeprefix("found-"), quantity=int(value)))
        if wrong:
            raise InvalidInput(wrong)
    fields = {k: form[k].strip() or None for k in ("reason", "carrier", "tracking_number", "pickup_code") if k in form}
    return ActionIn(lines=picked, **fields)
