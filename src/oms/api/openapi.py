"""The OpenAPI document says what the door refuses before any route: control characters in a path or a
query string (``guard.RejectControlCharacters``), so that a client generated from it, or a fuzzer, knows."""

from fastapi import FastAPI

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def describe_the_door(app: FastAPI) -> None:
    built = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = built()
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", ()):
                        if parameter["in"] in ("path", "query"):
                            _plain_text(parameter["schema"])
        return app.openapi_schema

    app.openapi = openapi


def _plain_text(schema: dict) -> None:
    for one in (schema, *schema.get("anyOf", ())):
        if one.get("type") == "string" and not {"pattern", "enum", "format", "const"} & one.keys():
            one["pattern"] = NO_CONTROL
