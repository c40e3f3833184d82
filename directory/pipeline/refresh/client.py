"""A polite, resumable client for FindTreatment.gov's locator JSON export.

* **Cached**: every reply is stored as it arrives under ``cache/<2 hex>/<sha256 of the request>.json``
  (content-addressed by the request); a request already in the cache is never sent again, so an
  interrupted harvest resumes where it stopped and a complete cache sends nothing.
* **Polite**: at most ``rate`` requests a second (default 1).
* **Robust**: retries with exponential backoff on 429 (honouring ``Retry-After``), 5xx, timeouts,
  connection errors and truncated or malformed JSON; after ``retries`` attempts one clear
  :class:`~directory.core.errors.RefreshError`.

Nothing here runs unless a person asks (``directory refresh``); the tests point it at a stand-in
server on 127.0.0.1 with ``--base-url`` / ``DIRECTORY_LOCATOR_URL``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ...core.errors import RefreshError
from ...core.tables import atomic_writer

#: The public endpoint (keyless, undocumented); docs/refresh.md says what is known of it and from where.
DEFAULT_BASE_URL = "https://findtreatment.gov/locator/exportsAsJson/v2"
BASE_URL_ENV = "DIRECTORY_LOCATOR_URL"
USER_AGENT = "treatment-directory-refresh/0.1 (+https://github.com/; polite harvester, 1 request/s)"


class LocatorClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        cache: str | Path,
        rate: float = 1.0,
        retries: int = 6,
        timeout: float = 30.0,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        if rate <= 0:
            raise RefreshError(f"--rate must be more than 0 requests a second, not {rate:g}")
        self.cache = Path(cache)
        self.interval = 1.0 / rate
        self.retries, self.timeout, self.backoff = retries, timeout, backoff
        self.sleep, self.clock = sleep, clock
        self._last = -float("inf")
        #: requests sent, cache hits, retries and their reasons.
        self.stats: Counter = Counter()

    def url(self, params: dict[str, object]) -> str:
        return self.base_url + "?" + urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()))

    def _path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.cache / digest[:2] / f"{digest}.json"

    def get(self, params: dict[str, object]) -> dict:
        """The decoded reply to one request: from the cache, or fetched (then cached)."""
        url = self.url(params)
        path = self._path(url)
        if path.exists():
            self.stats["cache_hits"] += 1
            return json.loads(path.read_text(encoding="utf-8"))["reply"]
        reply = self._fetch(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path, "w", encoding="utf-8") as fh:
            json.dump({"url": url, "reply": reply}, fh, ensure_ascii=False)
        return reply

    def _wait_turn(self) -> None:
        delay = self._last + self.interval - self.clock()
        if delay > 0:
            self.sleep(delay)
        self._last = self.clock()

    def _fetch(self, url: str) -> dict:
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats["retries"] += 1
            self._wait_turn()
            self.stats["requests"] += 1
            wait = self.backoff * (2**attempt)
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                if exc.code == 429 or exc.code >= 500:
                    problem = f"HTTP {exc.code}"
                    self.stats[f"retry: HTTP {exc.code}"] += 1
                    retry_after = _retry_after(exc.headers.get("Retry-After"))
                    self.sleep(max(wait, retry_after) if retry_after is not None else wait)
                    continue
                raise RefreshError(f"the locator answered HTTP {exc.code} to {url}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"no answer ({reason})"
                self.stats["retry: no answer"] += 1
                self.sleep(wait)
                continue
            try:
                reply = json.loads(body.decode("utf-8"))
                _check_shape(reply)
            except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
                problem = f"a malformed reply ({exc})"
                self.stats["retry: malformed JSON"] += 1
                self.sleep(wait)
                continue
            return reply
        raise RefreshError(
            f"the locator gave {problem} {self.retries + 1} times in a row for {url}; "
            "run the same command again later to resume (replies so far are cached)"
        )


def _check_shape(reply: object) -> None:
    if not isinstance(reply, dict) or not isinstance(reply.get("rows"), list):
        raise ValueError("no 'rows' list")
    for name in ("page", "totalPages"):
        if not isinstance(reply.get(name), int):
            raise ValueError(f"no whole-number {name!r}")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
