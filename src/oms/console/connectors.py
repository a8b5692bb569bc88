"""The connectors page (admin): each shop or marketplace, how it is doing (its status, what it is told that
fails), its dead letters with their reasons, retried (one or all, after the mapping was fixed) or dismissed,
and its dead reports sent again."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..domain.errors import OmsError
from ..services.connectors import inbox, outgoing, settings, status
from .pages import SignedIn, form_of, page, problem

router = APIRouter(prefix="/console/connectors", include_in_schema=False)
SHOWN = 100  # dead letters listed per connector (the rest: the API)


@router.get("")
async def show(request: Request, session: SignedIn):
    ctx, who = request.app.state.ctx, session.who
    try:
        found = []
        for connector in (await settings.list_all(ctx, principal=who))["items"]:
            dead = await inbox.listing(ctx, connector["id"], principal=who, status=inbox.DEAD, cursor=None,
                                       limit=SHOWN)
            found.append({**connector, "status": await status.status(ctx, connector["id"], principal=who),
                          "dead": dead["items"]})
    except OmsError as exc:
        return problem(request, exc, session, "/console")
    return page(request, "connectors.html", session, section="connectors", connectors=found, shown=SHOWN)


@router.post("/{connector_id}/reports/retry")
async def retry_reports(request: Request, session: SignedIn, connector_id: str):
    """Send the dead reports again (once what they died of is mended)."""
    ctx, who = request.app.state.ctx, session.who
    back = "/console/connectors"
    try:
        await form_of(request, session)
        await outgoing.retry(ctx, connector_id, principal=who)
    except OmsError as exc:
        return problem(request, exc, session, back)
    return RedirectResponse(back + "?done=1", status_code=303)


@router.post("/{connector_id}/dead-letters/{action}")
async def act(request: Request, session: SignedIn, connector_id: str, action: str):
    """Retry one dead letter (``record``), all of them (no ``record``), or dismiss one."""
    ctx, who = request.app.state.ctx, session.who
    back = "/console/connectors"
    try:
        form = await form_of(request, session)
        record = form.get("record", "").strip()
        record_id = int(record) if record.isdigit() else None
        if action == "retry":
            await inbox.retry(ctx, connector_id, principal=who, record_id=record_id)
        elif action == "dismiss" and record_id is not None:
            await inbox.dismiss(ctx, connector_id, record_id, principal=who)
        else:
            return RedirectResponse(back, status_code=303)
    except OmsError as exc:
        return problem(request, exc, session, back)
    return RedirectResponse(back + "?done=1", status_code=303)
