"""What every console page shares: the templates with their labels, the signed-in session (a dependency:
without one, the browser is sent to sign in), the posted form and its form token, problems shown as a page."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from ..api.problems import status_of
from ..domain.access import Principal
from ..domain.errors import FieldError, Forbidden, InvalidInput, OmsError, Unauthenticated
from ..services.reference import sessions
from .labels import EN, STATUS

HERE = Path(__file__).parent
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
COOKIE = "oms_console"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(L=EN, S=STATUS)


class NotSignedIn(Exception):
    """A page asked for without a live session: the browser goes to the sign-in page."""


@dataclass(frozen=True)
class Session:
    who: Principal
    csrf: str  # the form token every change made through this session sends back


async def session_of(request: Request) -> Session:
    try:
        who, csrf = await sessions.signed_in(request.app.state.ctx, request.cookies.get(COOKIE))
    except Unauthenticated as exc:
        raise NotSignedIn from exc
    return Session(who, csrf)


SignedIn = Annotated[Session, Depends(session_of)]


def install(app: FastAPI) -> None:
    async def _to_sign_in(request: Request, exc: Exception) -> Response:  # (a NotSignedIn)
        return to_sign_in()

    app.add_exception_handler(NotSignedIn, _to_sign_in)


def page(request: Request, name: str, session: Session | None, code: int = 200, **data) -> Response:
    notice = EN["done"] if request.query_params.get("done") else None
    who, csrf = (session.who, session.csrf) if session else (None, "")
    return templates.TemplateResponse(request, name, {"who": who, "csrf": csrf, "notice": notice, **data},
                                      status_code=code)


async def form_of(request: Request, session: Session) -> dict[str, str]:
    """The posted form, once its form token is the session's (else Forbidden: a page of another site)."""
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode(), keep_blank_values=True).items()}
    if form.get("csrf") != session.csrf:
        raise Forbidden("the form is not from this console session; reload the page")
    return form


def problem(request: Request, exc: OmsError, session: Session | None, back: str) -> Response:
    """The error as a page, with the status the API would answer."""
    status = status_of(exc)
    errors = [{"field": e.field, "reason": e.reason} for e in getattr(exc, "errors", [])
              if isinstance(e, FieldError)]
    title = {404: EN["not_found"], 403: EN["forbidden"]}.get(status, exc.title)
    return page(request, "problem.html", session, code=status, title=title, detail=exc.detail, errors=errors,
                back=back)


def to_sign_in() -> RedirectResponse:
    return RedirectResponse("/console/sign-in", status_code=303)


_UNITS = re.compile(r"[0-9]{1,6}")


def units(value: str) -> int | None:
    """A form's count of units (at most 999,999), or None when it is not one: ``isdigit`` would let "²" by."""
    value = value.strip()
    return int(value) if _UNITS.fullmatch(value) else None


def each_field(form: dict[str, str], prefix: str, made: Callable[[str, str], R | None], *, invalid: str,
               most: int, what: str) -> list[R]:
    """What ``made(key, value)`` makes of each field named ``<prefix><key>`` (None: left out), every refusal
    gathered first and said together, each as its own field's: a ValueError says why, a model's refusal
    ``invalid``; at most ``most`` of them (``what``: the things counted)."""
    rows, wrong = [], []
    for name, value in form.items():
        if not name.startswith(prefix):
            continue
        try:
            row = made(name.removeprefix(prefix), value)
        except ValidationError:
            wrong.append(FieldError(name, invalid))
        except ValueError as exc:
            wrong.append(FieldError(name, str(exc)))
        else:
            if row is not None:
                rows.append(row)
    if len(rows) > most:
        wrong.append(FieldError("lines", f"at most {most:,} {what} at a time"))
    if wrong:
        raise InvalidInput(wrong)
    return rows


def checked(model: type[M], data: dict[str, Any]) -> M:
    """A form's body, its shape's refusals as the form's own errors (a page, not a failure)."""
    try:
        return model.model_validate(data, strict=False)  # a form's fields are text: "48.85" is a number
    except ValidationError as exc:
        raise InvalidInput([FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]) from None
