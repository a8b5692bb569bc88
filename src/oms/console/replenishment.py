"""The planner's replenishment page: the latest run (or one named), its proposals the most urgent first (or by
store), a quantity edited before approving, the DC's online part and the store-to-store moves, the transfers
an approval made; a new run for the stores ordering today."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import OmsError
from ..services.replenishment import approve, runs, transfers
from ..services.replenishment.inputs import ApprovedLine, ApproveIn, RunIn
from .labels import EN
from .pages import SignedIn, each_field, form_of, page, problem, units

router = APIRouter(prefix="/console/replenishment", include_in_schema=False)
SHOWN = 200  # lines listed (the rest: the API, or ``oms replenish --csv``)


@router.get("")
async def show(request: Request, session: SignedIn, run_id: str | None = None, node_id: str | None = None,
               sort: str = "urgency"):
    ctx, who = request.app.state.ctx, session.who
    try:
        run_id = run_id or await runs.latest_run(ctx, principal=who)
        if run_id is None:
            return page(request, "replenishment.html", session, section="replenishment", run=None)
        run = await runs.get_run(ctx, run_id, principal=who, offset=0)
        lines = await runs.urgent_lines(ctx, run_id, principal=who, node_id=(node_id or "").strip() or None,
                                        by_store=sort == "store", limit=SHOWN)
        sent = await transfers.list_transfers(ctx, principal=who, node_id=None, source_node_id=None, status=None,
                                              cursor=None, limit=SHOWN, run_id=run_id)
    except OmsError as exc:
        return problem(request, exc, session, "/console")
    return page(request, "replenishment.html", session, section="replenishment", run=run, lines=lines,
                node_id=node_id or "", sort=sort, transfers=sent["items"], shown=SHOWN,
                may_approve=who.may("admin") and run["approved_at"] is None)


@router.post("/runs")
async def start(request: Request, session: SignedIn):
    """A run for the stores ordering today (or the one named)."""
    try:
        form = await form_of(request, session)
        store = form.get("node_id", "").strip()
        got = await runs.start_run(request.app.state.ctx, RunIn(nodes=[store] if store else None),
                                   principal=session.who)
    except OmsError as exc:
        return problem(request, exc, session, "/console/replenishment")
    return RedirectResponse(f"/console/replenishment?run_id={got['id']}", status_code=303)


@router.post("/runs/{run_id}/approve")
async def approve_run(request: Request, session: SignedIn, run_id: str):
    """The run approved, with the quantities the planner changed on the page."""
    back = f"/console/replenishment?run_id={run_id}"
    try:
        form = await form_of(request, session)
        await approve.approve(request.app.state.ctx, run_id, ApproveIn(lines=_edits(form)), principal=session.who)
    except OmsError as exc:
        return problem(request, exc, session, back)
    return RedirectResponse(back + "&done=1", status_code=303)


def _edits(form: dict[str, str]) -> list[ApprovedLine]:
    """The lines whose quantity the planner changed (``q-<store>|<sku>``, shown with ``was-…``)."""
    def edit(key: str, value: str) -> ApprovedLine | None:
        if value.strip() == form.get("was-" + key, "").strip():
            return None
        store, _, sku = key.partition("|")
        quantity = units(value)
        if quantity is None or quantity > 100_000:
            raise ValueError(EN["whole_units"])
        return ApprovedLine(node_id=store, sku=sku, quantity=quantity)
    return each_field(form, "q-", edit, invalid=EN["not_a_line"], most=5000, what="changed quantities")
