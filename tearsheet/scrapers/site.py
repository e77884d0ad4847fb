"""The site spider: start URLs, then every link within their sites."""

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from tearsheet.scrapers.middlewares import session_of

log = logging.getLogger(__name__)

# Scrapy ≥ 2.19 wraps Twisted's exceptions in its own; older versions raise
# Twisted's. Matching names along the cause chain covers both.
FAILURE_KINDS = {
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "CannotResolveHostError": "dns_error",
    "DNSLookupError": "dns_error",
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "ResponseDataLossError": "connection_lost",
    "DownloadFailedError": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ConnectionLost": "connection_lost",
}


def failure_kind(exc: BaseException | None) -> str:
    """Name a download failure by the first known exception in its cause chain."""
    while exc is not None:
        kind = FAILURE_KINDS.get(type(exc).__name__)
        if kind:
            return kind
        exc = exc.__cause__ or exc.__context__
    return "fetch_error"


def site_of(url: str) -> str:
    """A site is a scheme, host and port: what a browser calls an origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class SiteSpider(Spider):
    """Fetches the start points and follows links that stay on their sites."""

    name = "site"

    def __init__(self, options: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        self.start_urls = list(options.get("start_urls", []))
        self.allow = [re.compile(pattern) for pattern in options.get("allow", [])]
        self.deny = [re.compile(pattern) for pattern in options.get("deny", [])]
        self.max_pages = int(options.get("max_pages") or 0)
        self.links = LinkExtractor()
        self.scheduled: set[str] = set()
        self.sites = {site_of(url) for url in self.start_urls}

    async def start(self) -> AsyncIterator[Request]:
        for url in self.start_urls:
            request = self.page_request(url, check_rules=False)
            if request is not None:
                yield request

    def wanted(self, url: str) -> bool:
        """On one of the crawl's sites, allowed and not denied by the URL rules."""
        if site_of(url) not in self.sites:
            return False
        if self.allow and not any(pattern.search(url) for pattern in self.allow):
            return False
        return not any(pattern.search(url) for pattern in self.deny)

    def page_request(self, url: str, check_rules: bool = True) -> Request | None:
        """A request for a page not yet scheduled, within the rules and the page limit.

        The limit is kept here, not by Scrapy's CLOSESPIDER_PAGECOUNT, which
        lets every request already queued run after the limit is reached.
        """
        if url in self.scheduled or (check_rules and not self.wanted(url)):
            return None
        if self.max_pages and len(self.scheduled) >= self.max_pages:
            return None
        self.scheduled.add(url)
        return Request(url, callback=self.parse, errback=self.failed)

    def parse(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, HtmlResponse):
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            session_of(self.crawler).fetch_failed(
                response.url, "not_html", f"not an HTML page (Content-Type: {content_type or '-'})"
            )
            return
        for link in self.links.extract_links(response):
            request = self.page_request(link.url)
            if request is not None:
                yield request

    def failed(self, failure: Failure) -> None:
        """Record a request that ended without a page to parse."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            response = failure.value.response
            kind, message = f"http_{response.status}", f"HTTP status {response.status}"
        elif failure.check(IgnoreRequest):
            log.info("%s: not fetched: %s", url, failure.getErrorMessage())
            return
        else:
            kind = failure_kind(failure.value)
            message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        session_of(self.crawler).fetch_failed(url, kind, message)
