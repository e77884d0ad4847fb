"""Retries that slow down: Retry-After honoured, exponential backoff otherwise.

Scrapy retries at once. A site answering 429 or 503 asks for less traffic,
so this middleware pauses the whole site (its downloader slot) before the
retry goes out: for the Retry-After the server sent, or else for a delay
that doubles with each attempt.
"""

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import call_later

log = logging.getLogger(__name__)

BACKOFF_BASE = 1.0  # seconds before the first retry; doubled for each further one
MAX_PAUSE = 300.0  # a longer Retry-After is capped, and the cap logged


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, pausing the site before each retry."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            asked = retry_after(response.headers.get("Retry-After", b"").decode("latin-1"))
            self._pause_site(request, asked if asked is not None else self._backoff(request))
        return result

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._pause_site(request, self._backoff(request))
        return result

    @staticmethod
    def _backoff(request: Request) -> float:
        attempt = int(request.meta.get("retry_times", 0))
        return min(BACKOFF_BASE * 2**attempt, MAX_PAUSE)

    def _pause_site(self, request: Request, seconds: float) -> None:
        if seconds > MAX_PAUSE:
            log.warning("%s asked to wait %.0f s; waiting %.0f s", request.url, seconds, MAX_PAUSE)
            seconds = MAX_PAUSE
        engine = self.crawler.engine
        if engine is None or seconds <= 0:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return
        # The downloader holds a slot's queue while slot.latercall is pending.
        if slot.latercall is not None:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        log.info("pausing %s for %.1f s before retrying %s", slot, seconds, request.url)
