"""The API's answers are checked against the models the OpenAPI document shows (tests/contract.py): every
call of the integration suite goes through that check. Here: the check itself can fail, and what it cannot
check (routes that document no model) is known."""

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import ValidationError
from starlette.routing import Match

from oms.api.app import create_app
from oms.api.availability import ProductPageQuery
from oms.api.openapi import NO_CONTROL
from oms.api.promise import PromisePageQuery
from oms.services.orders import queries
from tests.support import problem, seed

# Routes whose answers have no model of their own in the document, and why.
WITHOUT_MODEL = {
    "GET /metrics": "Prometheus text format, not JSON",
}


async def test_an_answer_outside_its_documented_model_fails_the_test(ctx, client, monkeypatch):
    keys = await seed(ctx, client)

    async def wrong(*args, **kwargs):  # an order without its lines, its status a number
        return {"id": "ord_1", "status": 3}

    monkeypatch.setattr(queries, "get_order", wrong)
    with pytest.raises(AssertionError, match=r"GET /v1/orders/\{order_id\} answered 200 outside its documented "
                                             r"model OrderOut: .*status: Input should be a valid string"):
        await client.get("/v1/orders/ord_1", headers=keys.h("web"))


def test_every_route_documents_the_model_of_its_answer(ctx):
    app = create_app(ctx)
    bare = sorted(f"{sorted(c.methods)[0]} {c.path}" for c in iter_route_contexts(app.routes)
                  if isinstance(c.route, APIRoute) and c.route.include_in_schema and c.route.response_model is None)
    assert bare == sorted(WITHOUT_MODEL)


async def test_the_product_page_query_is_one_model_for_the_fast_route_and_the_document(ctx, client):
    keys = await seed(ctx, client)
    app = create_app(ctx)
    for path, model in (("/v1/availability/{sku}", ProductPageQuery), ("/v1/promise/{sku}", PromisePageQuery)):
        parameters = app.openapi()["paths"][path]["get"]["parameters"]
        query = {p["name"]: p for p in parameters if p["in"] == "query"}
        assert list(query) == list(model.model_fields)
        assert {n for n, p in query.items() if p["required"]} == {n for n, f in model.model_fields.items()
                                                                  if f.is_required()}
        (sku,) = [p for p in parameters if p["in"] == "path"]
        assert sku["name"] == "sku" and sku["schema"]["pattern"] == NO_CONTROL  # the document's own rule
        # The call is served by the plain route placed first, not by the FastAPI route documenting it.
        scope = {"type": "http", "method": "GET", "path": path.replace("{sku}", "SKU-A")}
        served = next(r for r in app.router.routes if r.matches(scope)[0] == Match.FULL)
        assert not isinstance(served, APIRoute)
    assert list(query) == ["channel", "lat", "lng"]
    radius = {p["name"]: p for p in app.openapi()["paths"]["/v1/availability/{sku}"]["get"]["parameters"]}["radius_km"]
    assert (radius["required"], radius["schema"]["exclusiveMinimum"], radius["schema"]["maximum"],
            radius["schema"]["default"]) == (False, 0, 500, 25)

    async def page(path, **params):
        return await client.get(path, params={"channel": "web", **params}, headers=keys.h("web"))

    bad = {"lat": "48.8", "lng": "2.3", "radius_km": "501"}
    with pytest.raises(ValidationError) as refused:
        ProductPageQuery.model_validate({"channel": "web", **bad})
    r = await page("/v1/availability/SKU-A", **bad)
    reason = refused.value.errors()[0]["msg"]  # the model's own words
    assert problem(r, 422, "invalid_input")["errors"] == [{"field": "radius_km", "reason": reason}]
    r = await page("/v1/availability/SKU-A", lng="2.3")
    assert problem(r, 422, "invalid_input")["errors"] == [{"field": "lat",
                                                           "reason": "give both lat and lng, or neither"}]
    assert (await page("/v1/availability/SKU-A", **{**bad, "radius_km": "500"})).status_code == 200
    r = await page("/v1/promise/SKU-A", lat="48.8")
    assert problem(r, 422, "invalid_input")["errors"] == [
        {"field": "lng", "reason": "give lat and lng: the point the shopper is near"}]
    r = await page("/v1/promise/SKU-A", lat="48.8", lng="181")
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["lng"]
    assert (await page("/v1/promise/SKU-A", lat="48.8", lng="2.3")).status_code == 200
