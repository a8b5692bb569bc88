"""JSON answers rendered by orjson: the hot paths return these directly, skipping re-validation."""

import orjson
from starlette.responses import JSONResponse


class Json(JSONResponse):
    def render(self, content) -> bytes:
        return orjson.dumps(content)
