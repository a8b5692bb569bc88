"""The operations dashboard: the day's figures, drawn as inline SVG, refreshed in place every few seconds."""

from datetime import date

from fastapi import APIRouter, Request

from ..domain.errors import FieldError, InvalidInput, OmsError
from ..services.reads import dashboard
from .labels import EN
from .pages import SignedIn, page, problem, templates

router = APIRouter(prefix="/console/dashboard", include_in_schema=False)


@router.get("")
async def show(request: Request, session: SignedIn, day: str | None = None, fragment: bool = False):
    at = request.app.state.ctx.clock.now()
    try:
        try:
            when = date.fromisoformat(day) if day else at.date()
        except ValueError:
            raise InvalidInput([FieldError("day", EN["bad_day"])]) from None
        d = await dashboard.figures(request.app.state.ctx, when, principal=session.who)
    except OmsError as exc:
        return problem(request, exc, session, "/console")
    as_of = at.strftime("%H:%M:%S UTC")
    if fragment:  # the part the page's script swaps in
        return templates.TemplateResponse(request, "dashboard_figures.html", {"d": d, "as_of": as_of})
    return page(request, "dashboard.html", session, section="dashboard", d=d, as_of=as_of)
