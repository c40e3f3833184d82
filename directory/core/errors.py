"""The project's one exception tree.

Every error a user can cause derives from :class:`DirectoryError`, and each also
subclasses the built-in a caller would expect (the geopy habit), so
``except ValueError`` keeps working for code that does not know about us.
Third-party errors (geopy, pandas, openpyxl, OS errors on input files) are
translated into these at the boundary that calls the third party; the CLI turns
any of them into one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable


class DirectoryError(Exception):
    """Base class for every error this package raises on purpose."""

    #: The :class:`~directory.search.Query` field the error is about, when it is about one
    #: (front ends name their own parameter from it).
    field: str | None = None


class InputFileError(DirectoryError, ValueError):
    """An input file is missing, unreadable or structurally wrong."""


class MissingColumnsError(InputFileError):
    """A source file lacks columns its adapter needs."""

    def __init__(self, path: str, missing: Iterable[str], adapter: str | None = None) -> None:
        self.path = path
        self.missing = sorted(missing)
        self.adapter = adapter
        what = f" for the {adapter} adapter" if adapter else ""
        super().__init__(f"{path}: missing required column(s){what}: {', '.join(self.missing)}")


class MappingError(InputFileError):
    """A mapping file (TOML) for the mapped-CSV adapter is invalid."""


class ManifestError(InputFileError):
    """The build manifest (data/sources/sources.toml) is invalid."""


class UnknownNameError(DirectoryError, ValueError):
    """A name (service group, code, adapter, geocoder …) is not known.

    The message lists close names when there are any.
    """

    def __init__(self, kind: str, name: str, suggestions: Iterable[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


class ValidationError(DirectoryError, ValueError):
    """A facilities file does not satisfy the schema."""


class GeocodingError(DirectoryError):
    """Base for geocoding failures."""


class LocationNotFound(GeocodingError, LookupError):
    """A place could not be resolved by any geocoder that was tried."""

    def __init__(self, query: str, tried: Iterable[str] = (), suggestions: Iterable[str] = ()) -> None:
        self.query = query
        self.tried = list(tried)
        self.suggestions = list(suggestions)
        parts = [f"could not find a place for {query!r}"]
        if self.tried:
            parts.append(f"tried {', '.join(self.tried)}")
        if self.suggestions:
            parts.append(f"did you mean {', '.join(repr(s) for s in self.suggestions)}?")
        super().__init__("; ".join(parts))


class GeocoderServiceError(GeocodingError, ConnectionError):
    """An online geocoder failed (network, quota, server error) after retries."""


class GeocoderConfigError(GeocodingError, ValueError):
    """An online geocoder is misconfigured (unknown provider, missing user agent …)."""


class RoutingUnavailable(DirectoryError, ConnectionError):
    """The routing engine did not answer in time, could not be reached, or answered with an error. A
    search then falls back to straight-line distance and says so in one line."""


class RoutingConfigError(DirectoryError, ValueError):
    """``DIRECTORY_ROUTING`` (or a routing option) cannot be understood."""


class QueryError(DirectoryError, ValueError):
    """A search query is invalid (radius out of range, unknown filter value …)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RefreshError(DirectoryError):
    """A refresh from FindTreatment.gov could not go on: the locator kept failing, or answered in a
    way that cannot be trusted (rows outside the circle asked for). Nothing is written."""


class DatabaseUnavailable(DirectoryError, ConnectionError):
    """The database store cannot be reached (or holds no loaded directory). One line; the API answers 503."""


class ReportRejected(DirectoryError, ValueError):
    """A provider's availability report is refused: a field is missing, unknown or out of range. Nothing
    is written; ``field`` names the field (the API answers 422 naming it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(DirectoryError, PermissionError):
    """A write its sender may not make: a missing, unknown, revoked or expired provider key
    (``status`` 401), a key of another site (403), or too many updates in an hour (429, with
    ``retry_after`` seconds). Nothing is written."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
