"""The operations dashboard: the day's figures, drawn as inline SVG, refreshed in place every few seconds."""

from datetime import date

from fastapi import APIRouter, Request

from ..domain.errors import FieldError, InvalidInput, OmsError, Unauthenticated
from ..services.reads import dashboard
from .labels import EN
from .pages import page, problem, templates, to_sign_in, who_is

router = APIRouter(prefix="/console/dashboard", include_in_schema=False)


@router.get("")
async def show(request: Request, day: str | None = None, fragment: bool = False):
    try:
        who, csrf = await who_is(request)
    except Unauthenticated:
        return to_sign_in()
    at = request.app.state.ctx.clock.now()
    try:
        try:
            when = date.fromisoformat(day) if day else at.date()
        except ValueError:
            raise InvalidInput([FieldError("day", EN["bad_day"])]) from None
        d = await dashboard.figures(request.app.state.ctx, when, principal=who)
    except OmsError as exc:
        return problem(request, exc, who, csrf, "/console")
    as_of = at.strftime("%H:%M:%S UTC")
    if fragment:  # the part the page's script swaps in
        return templates.TemplateResponse(request, "dashboard_figures.html", {"d": d, "as_of": as_of})
    return page(request, "dashboard.html", who, csrf, section="dashboard", d=d, as_of=as_of)
