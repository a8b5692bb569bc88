"""What the API promises is checked: every answer the tests receive is validated against the model its route
documents in the OpenAPI document (``response_model``, or the model given for that status in ``responses``).

The handlers return JSON built from dicts, so FastAPI never checks them; this does, on every call the
integration suite makes. An answer that does not fit fails the test that received it, naming the route,
the status and what does not fit.
"""

from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError
from starlette.routing import compile_path

_ADAPTERS: dict[Any, TypeAdapter] = {}


def documented_model(app: FastAPI, method: str, path: str, status: int) -> tuple[APIRoute | None, Any]:
    """The FastAPI route that documents this call (the plain fast routes in front of it document nothing)
    and the model it documents for ``status`` (None when it documents none)."""
    for context in iter_route_contexts(app.routes):
        route = context.route
        if (isinstance(route, APIRoute) and method in (context.methods or ())
                and compile_path(context.path)[0].fullmatch(path)):
            if status == (route.status_code or 200):
                return route, route.response_model
            extra = route.responses.get(status) or route.responses.get(str(status)) or {}
            return route, extra.get("model")
    return None, None


def check(app: FastAPI, response: httpx.Response) -> None:
    request = response.request
    route, model = documented_model(app, request.method, request.url.path, response.status_code)
    if model is None or not response.content:
        return
    adapter = _ADAPTERS.get(model) or _ADAPTERS.setdefault(model, TypeAdapter(model))
    try:
        adapter.validate_json(response.content)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise AssertionError(f"{request.method} {route.path} answered {response.status_code} outside its "
                             f"documented model {getattr(model, '__name__', model)}: {problems}") from None


def checking(app: FastAPI):
    """An httpx response hook that checks each answer (its body read first)."""
    async def hook(response: httpx.Response) -> None:
        await response.aread()
        check(app, response)
    return hook
