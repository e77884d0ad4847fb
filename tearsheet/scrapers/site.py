"""The site spider: start URLs, then every link within their sites."""

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from tearsheet.discovery import (
    DiscoveryError,
    parse_feed,
    parse_sitemap,
    read_url_list,
    sitemaps_from_robots,
)
from tearsheet.scrapers.addresses import PublicOnlyResolver
from tearsheet.scrapers.frontier import Frontier, Page
from tearsheet.scrapers.middlewares import TRUNCATED_META_KEY, session_of
from tearsheet.scrapers.traps import (
    DEFAULT_MAX_QUERY_VARIANTS,
    DEFAULT_MAX_URL_LENGTH,
    Refusal,
    UrlCaps,
    without_session_ids,
)

log = logging.getLogger(__name__)

# Scrapy ≥ 2.19 wraps Twisted's exceptions in its own; older versions raise
# Twisted's. Matching names along the cause chain covers both.
FAILURE_KINDS = {
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "CannotResolveHostError": "dns_error",
    "DNSLookupError": "dns_error",
    "DownloadTimeoutError": "timeout",
    "DownloadCancelledError": "too_large",  # tearsheet cancels a download only at the size limit
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "ResponseDataLossError": "connection_lost",
    "DownloadFailedError": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ConnectionLost": "connection_lost",
}


def failure_kind(exc: BaseException | None) -> str:
    """Name a download failure by the first known exception in its cause chain."""
    chain = []
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    for exc in chain:
        kind = FAILURE_KINDS.get(type(exc).__name__)
        if kind:
            return kind
    return "fetch_error"


def site_of(url: str) -> str:
    """A site is a scheme, host and port: what a browser calls an origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


MAX_SITEMAPS = 1000  # sitemap indexes can nest and loop: read this many at most
PAGE_KEY = "tearsheet_page"  # request.meta: the frontier URL a request (or redirect) serves
KIND_KEY = "tearsheet_kind"  # request.meta: page, sitemap or feed


class SiteSpider(Spider):
    """Fetches the start points and follows links that stay on their sites.

    Every page goes through the crawl's frontier, so a stopped crawl resumes
    where it was: queued pages are fetched, archived pages whose links were
    not yet taken are parsed from their WARC record, done pages are skipped.
    """

    name = "site"
    handle_httpstatus_list = [304]  # an unchanged page: its links come from its last capture

    def __init__(self, options: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        self.start_urls = list(options.get("start_urls", []))
        self.allow = [re.compile(pattern) for pattern in options.get("allow", [])]
        self.deny = [re.compile(pattern) for pattern in options.get("deny", [])]
        self.max_pages = int(options.get("max_pages") or 0)
        # A shared crawl (--redis): Redis decides what is new; the frontier
        # holds the pages this worker took from the shared queue, and the
        # links it found until Redis has them.
        self.shared = bool(options.get("redis"))
        self.depth_limit = int(options.get("depth_limit") or 0)
        self.links = LinkExtractor()
        self.caps = UrlCaps(
            int(options.get("max_url_length", DEFAULT_MAX_URL_LENGTH)),
            int(options.get("max_pages_per_site") or 0),
            int(options.get("max_query_variants", DEFAULT_MAX_QUERY_VARIANTS)),
        )
        self.sitemaps = list(options.get("sitemaps", []))
        self.feeds = list(options.get("feeds", []))
        self.listed = [url for path in options.get("url_lists", []) for url in read_url_list(path)]
        starts = [*self.start_urls, *self.sitemaps, *self.feeds, *self.listed]
        self.sites = {site_of(url) for url in starts}
        self.callbacks = {
            "page": self.parse,
            "sitemap": self.parse_sitemap,
            "feed": self.parse_feed,
        }

    @property
    def frontier(self) -> Frontier:
        return session_of(self.crawler).frontier

    async def start(self) -> AsyncIterator[Request]:
        if self.options.get("resume"):
            # Read the queue first: parsing archived pages queues their links,
            # and those are requested by that parsing already.
            queued = self.frontier.in_state("queued")
            # A shared crawl's links not yet handed to Redis go through its duplicate filter.
            found = self.frontier.in_state("found")
            self.caps.seed(
                page.url
                for state in ("queued", "archived", "done")
                for page in self.frontier.in_state(state)
                if page.kind == "page"
            )
            for page in self.frontier.in_state("archived"):
                for request in self.callbacks[page.kind](self.archived_response(page)):
                    yield request
            for page in queued:  # a shared crawl's Redis has seen them: push them anyway
                yield self.request_for(page.url, page.depth, page.kind, again=self.shared)
            for page in found:
                yield self.request_for(page.url, page.depth, page.kind)
            return
        starts = [(url, "sitemap") for url in self.sitemaps]
        starts += [(url, "feed") for url in self.feeds]
        if self.options.get("sitemaps_from_robots"):
            starts += [(f"{site}/robots.txt", "robots") for site in sorted(self.sites)]
        starts += [(url, "page") for url in [*self.start_urls, *self.listed]]
        for url, kind in starts:
            if kind == "robots":
                yield Request(
                    url, callback=self.parse_robots, errback=self.failed, dont_filter=True
                )
                continue
            request = self.page_request(url, depth=0, check_rules=False, kind=kind)
            if request is not None:
                yield request

    def archived_response(self, page: Page) -> Response:
        """A page archived before the crawl stopped, read back to take its links."""
        capture = session_of(self.crawler).read_capture(page.warc_file, page.warc_offset)
        request = Request(page.url, meta={PAGE_KEY: page.url, "depth": page.depth})
        headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in capture.headers
        ]
        response_class = responsetypes.from_args(headers=Headers(headers), url=capture.url)
        return response_class(
            url=capture.url,
            status=capture.status,
            headers=headers,
            body=capture.body,
            request=request,
        )

    def unchanged_response(self, response: Response) -> Response:
        """For a 304, the page as last archived, so that its links are still followed."""
        session = session_of(self.crawler)
        where = session.corpus.latest_full_capture(response.url)
        if where is None:
            return response
        page = Page(response.url, int(response.meta.get("depth", 0)), "page", *where)
        return self.archived_response(page)

    def wanted(self, url: str) -> bool:
        """On one of the crawl's sites, allowed and not denied by the URL rules."""
        if site_of(url) not in self.sites:
            return False
        if self.allow and not any(pattern.search(url) for pattern in self.allow):
            return False
        return not any(pattern.search(url) for pattern in self.deny)

    def page_request(
        self, url: str, depth: int, check_rules: bool = True, kind: str = "page"
    ) -> Request | None:
        """A request for a page new to this crawl, within the rules and the limits.

        The page limit is kept here, not by Scrapy's CLOSESPIDER_PAGECOUNT,
        which lets every request already queued run after the limit.
        """
        url = without_session_ids(url)
        if check_rules and not self.wanted(url):
            return None
        if kind == "page" and self.depth_limit and depth > self.depth_limit:
            return None
        if kind == "page" and self.max_pages and self.frontier.count() >= self.max_pages:
            return None
        if kind == "page" and not self.frontier.known(url):
            refusal = self.caps.refusal(url)
            if refusal is not None:
                self.refused(url, refusal)
                return None
        if kind == "sitemap" and self.frontier.count("sitemap") >= MAX_SITEMAPS:
            log.warning("%s: not read: over %d sitemaps in this crawl", url, MAX_SITEMAPS)
            return None
        if not self.frontier.add(url, depth, kind, "found" if self.shared else "queued"):
            return None
        if kind == "page":
            self.caps.admitted(url)
        return self.request_for(url, depth, kind)

    def refused(self, url: str, refusal: Refusal) -> None:
        """A URL kept out by a cap: counted; the first of its kind per site is an errors row."""
        session = session_of(self.crawler)
        session.capped(refusal.kind)
        if self.caps.first_of_its_kind(url, refusal):
            message = (
                f"not fetched: {refusal.message}; further URLs refused by this cap on this"
                " site are only counted (the run's stats)"
            )
            session.fetch_failed(url, refusal.kind, message)
        else:
            log.info("%s: not fetched: %s", url, refusal.message)

    def request_for(self, url: str, depth: int, kind: str = "page", again: bool = False) -> Request:
        return Request(
            url,
            callback=self.callbacks[kind],
            errback=self.failed,
            meta={PAGE_KEY: url, KIND_KEY: kind, "depth": depth},
            dont_filter=again,
        )

    def parse(self, response: Response) -> Iterator[Request]:
        page = response.meta.get(PAGE_KEY, response.url)
        if response.status == 304:
            response = self.unchanged_response(response)
        if not isinstance(response, HtmlResponse):
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            session_of(self.crawler).fetch_failed(
                response.url, "not_html", f"not an HTML page (Content-Type: {content_type or '-'})"
            )
        else:
            depth = int(response.meta.get("depth", 0)) + 1
            for url in self.link_urls(response, depth):
                request = self.page_request(url, depth)
                if request is not None:
                    yield request
        if response.url != page:  # reached by a redirect: its final URL is done too
            self.frontier.add(response.url, int(response.meta.get("depth", 0)))
            self.frontier.done(response.url)
        self.frontier.done(page)

    def link_urls(self, response: HtmlResponse, depth: int) -> list[str]:
        """The URLs a page links to, unless its links would be past the depth limit.

        A page at the limit is not parsed for links at all: none of them
        would be followed, and parsing is a third of a fetched page's cost
        in this process. The parsed tree is let go at once: Scrapy caches
        it on the response, and the two refer to each other (scrapy#2977),
        so otherwise it lives until the cyclic garbage collector runs,
        after a hundred pages or so, each tree several times its page's size.
        """
        if self.depth_limit and depth > self.depth_limit:
            return []
        try:
            return [link.url for link in self.links.extract_links(response)]
        finally:
            response._cached_selector = None  # noqa: SLF001 -- the cycle's one link

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Pages and child sitemaps a sitemap lists; what a broken one yields still counts."""
        document = self._discovery(response, parse_sitemap)
        if document is not None:
            depth = int(response.meta.get("depth", 0))
            for child in document.sitemaps:
                request = self.page_request(child.url, depth, check_rules=False, kind="sitemap")
                if request is not None:
                    yield request
            for entry in document.pages:
                request = self.page_request(entry.url, depth + 1)
                if request is not None:
                    yield request
        self.frontier.done(response.meta.get(PAGE_KEY, response.url))

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """The pages a feed's entries link to."""
        document = self._discovery(response, parse_feed)
        if document is not None:
            depth = int(response.meta.get("depth", 0)) + 1
            for entry in document.entries:
                request = self.page_request(entry.link, depth)
                if request is not None:
                    yield request
        self.frontier.done(response.meta.get(PAGE_KEY, response.url))

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """The sitemaps a site's robots.txt names."""
        if response.status != 200:
            return
        try:
            urls = sitemaps_from_robots(response.body, response.url)
        except DiscoveryError as exc:
            session_of(self.crawler).fetch_failed(response.url, "bad_robots_txt", str(exc))
            return
        for url in urls:
            request = self.page_request(url, 0, check_rules=False, kind="sitemap")
            if request is not None:
                yield request

    def _discovery(self, response: Response, parse: Any) -> Any:
        """Parse a discovery document; a broken one is an errors row and what was salvaged."""
        try:
            return parse(response.body, response.url)
        except DiscoveryError as exc:
            session_of(self.crawler).fetch_failed(response.url, "bad_discovery_document", str(exc))
            return exc.salvaged

    def failed(self, failure: Failure) -> None:
        """Record a request that ended without a page to parse."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if request is not None:
            self.frontier.done(request.meta.get(PAGE_KEY, url))
        if failure.check(HttpError):
            response = failure.value.response
            kind, message = f"http_{response.status}", f"HTTP status {response.status}"
        elif failure.check(IgnoreRequest):
            reason = failure.getErrorMessage()
            if "--allow-private" in reason:
                kind, message = "private_address", reason
            elif "redirections" in reason:
                kind, message = "too_many_redirects", f"{reason}: stopped at {url}"
                url = request.meta.get(PAGE_KEY, url) if request is not None else url
            elif "DOWNLOAD_MAXSIZE" in reason:  # a decompression bomb, archived as sent
                limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
                kind, message = "too_large", decompression_message(failure.value, limit)
            else:  # robots.txt, offsite: not errors
                log.info("%s: not fetched: %s", url, reason)
                return
        elif (refusal := PublicOnlyResolver.refused.get(urlsplit(url).hostname or "")) is not None:
            kind, message = "private_address", refusal
        else:
            kind = failure_kind(failure.value)
            message = self.failure_message(kind, failure)
        truncated = request.meta.get(TRUNCATED_META_KEY) if request is not None else None
        if truncated:
            message = f"{message} ({truncated})"
        session_of(self.crawler).fetch_failed(url, kind, message)

    def failure_message(self, kind: str, failure: Failure) -> str:
        """What went wrong, naming the limit that stopped the download if one did."""
        settings = self.crawler.settings
        detail = failure.getErrorMessage()
        if kind == "too_large":
            limit = settings.getint("DOWNLOAD_MAXSIZE")
            return (
                f"the response is over the download size limit of {limit:,} bytes"
                " (--max-download-size)"
            )
        if kind == "timeout":
            limit = settings.getfloat("DOWNLOAD_TIMEOUT")
            return f"no complete response within {limit:g} s (--download-timeout)"
        if kind == "connection_lost":
            message = "the server closed the connection before the whole response arrived"
            return f"{message}: {detail}" if detail else message
        return f"{failure.type.__name__}: {detail}"


def decompression_message(exc: BaseException, limit: int) -> str:
    """Say what Scrapy's decompression limit stopped, in tearsheet's words."""
    size = getattr(exc.__cause__, "decompressed_size", None)
    so_far = f" ({size:,} bytes decompressed so far)" if size else ""
    return (
        f"the body decompresses past the download size limit of {limit:,} bytes"
        f" (--max-download-size){so_far}: a compression bomb or a huge page;"
        " archived as sent, links not followed"
    )
