"""The one boundary where the library's errors become the locator API's HTTP errors: one shape
(``{"detail": [{"loc", "msg", "type", "suggestions"}]}``), a 404 for a place or id that names nothing,
a 422 naming the parameter for any other rejected value.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

from ..core.errors import DirectoryError, LocationNotFound
from ..core.filters import param_of


class ParameterError(Exception):
    """An error about one parameter: a 422, or a 404 when the place it names is not found."""

    def __init__(self, param: str, message: str, suggestions: list[str] | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.param, self.message, self.suggestions, self.status = param, message, suggestions or [], status


def _translate(exc: DirectoryError, param: str | None = None) -> ParameterError:
    """The one place library errors become HTTP errors: the library says which Query field (``param``
    overrides). A place that cannot be found is a 404 (what a client expects of a name that names
    nothing); any other rejected value a 422."""
    param = param or (param_of(exc.field) if exc.field else "query")
    status = 404 if isinstance(exc, LocationNotFound) else 422
    return ParameterError(param, str(exc), list(getattr(exc, "suggestions", [])), status)


def _error(
    status: int, param: str, message: str, suggestions: list[str] | None = None, kind: str = "value_error"
) -> JSONResponse:
    item = {
        "loc": ["query", param] if param != "facility_id" else ["path", param],
        "msg": message,
        "type": kind,
        "suggestions": suggestions or [],
    }
    return JSONResponse({"detail": [item]}, status_code=status)


def validation_response(exc) -> JSONResponse:
    """FastAPI's validation errors (a ``RequestValidationError``) as the API's 422 body."""
    items = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "invalid value")),
            "type": str(e.get("type", "value_error")),
            "suggestions": [],
        }
        for e in exc.errors()
    ]
    return JSONResponse({"detail": items}, status_code=422)
