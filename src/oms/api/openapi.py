"""The OpenAPI document says what the door refuses before any route: control characters in a path or a
query string (``guard.RejectControlCharacters``), so that a client generated from it, or a fuzzer, knows."""

from typing import Any

from fastapi import FastAPI

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def describe_the_door(app: FastAPI) -> None:
    built = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:
            schema = built()  # (kept by FastAPI as ``app.openapi_schema``)
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", ()):
                        if parameter["in"] in ("path", "query"):
                            _plain_text(parameter["schema"])
        return schema

    # FastAPI's way to change the document it serves: replace the app's ``openapi`` method.
    app.openapi = openapi  # type: ignore[method-assign]


def _plain_text(schema: dict[str, Any]) -> None:
    for one in (schema, *schema.get("anyOf", ())):
        if one.get("type") == "string" and not {"pattern", "enum", "format", "const"} & one.keys():
            one["pattern"] = NO_CONTROL
