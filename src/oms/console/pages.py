"""What every console page shares: the templates with their labels, the signed-in key, the posted form
and its form token, problems shown as a page."""

from pathlib import Path
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..domain.access import Principal
from ..domain.errors import FieldError, Forbidden, InvalidInput, NotFound, OmsError
from . import sessions
from .labels import EN, STATUS

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(L=EN, S=STATUS)
# Problems shown as a page, with the status the API would answer.
_STATUS = [(InvalidInput, 422), (NotFound, 404), (Forbidden, 403), (OmsError, 409)]


def page(request: Request, name: str, who: Principal | None, csrf: str = "", code: int = 200, **data) -> Response:
    notice = EN["done"] if request.query_params.get("done") else None
    return templates.TemplateResponse(request, name, {"who": who, "csrf": csrf, "notice": notice, **data},
                                      status_code=code)


async def who_is(request: Request) -> tuple[Principal, str]:
    return await sessions.signed_in(request.app.state.ctx, request.cookies.get(sessions.COOKIE))


async def form_of(request: Request, csrf: str) -> dict[str, str]:
    """The posted form, once its form token is the session's (else Forbidden: a page of another site)."""
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode(), keep_blank_values=True).items()}
    if form.get("csrf") != csrf:
        raise Forbidden("the form is not from this console session; reload the page")
    return form


def problem(request: Request, exc: OmsError, who: Principal | None, csrf: str, back: str) -> Response:
    status = next(s for cls, s in _STATUS if isinstance(exc, cls))
    errors = [{"field": e.field, "reason": e.reason} for e in getattr(exc, "errors", [])
              if isinstance(e, FieldError)]
    title = {404: EN["not_found"], 403: EN["forbidden"]}.get(status, exc.title)
    return page(request, "problem.html", who, csrf, code=status, title=title, detail=exc.detail,
                 errors=errors, back=back)


def to_sign_in() -> RedirectResponse:
    return RedirectResponse("/console/sign-in", status_code=303)
