"""The capture middleware: every response Scrapy downloads goes to the archive."""

from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.utils.defer import maybe_deferred_to_future

from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.scrapers.session import CrawlSession, software_name
from tearsheet.scrapers.wire import WIRE_META_KEY, WireRecording

TRUNCATED_META_KEY = "tearsheet_truncated"  # request.meta: what was kept of a cut-off response
# Why a download stopped, as WARC/1.1's WARC-Truncated values name it.
TRUNCATION_REASONS = {
    "DownloadCancelledError": "length",  # over DOWNLOAD_MAXSIZE: the only cancel tearsheet makes
    "DownloadTimeoutError": "time",
    "ResponseDataLossError": "disconnect",
    "DownloadFailedError": "disconnect",
}


def session_of(crawler: Crawler) -> CrawlSession:
    """The crawl's archive session, created on first use and closed with the spider."""
    session = getattr(crawler, "tearsheet_session", None)
    if session is None:
        settings = crawler.settings
        session = CrawlSession(
            settings.get("TEARSHEET_ARCHIVE_DIR"),
            dict(settings.getdict("TEARSHEET_OPTIONS")),
            software_name(),
        )
        crawler.tearsheet_session = session  # type: ignore[attr-defined]
        # Scrapy's dispatcher holds weak references: connect a bound method of
        # an object the crawler keeps alive, never a lambda.
        crawler.signals.connect(session.close, signal=signals.spider_closed)
    return session


class WarcCaptureMiddleware:
    """Archives each response before any other middleware changes it.

    Placed near the downloader (order 950), it sees redirects and errors
    before they are acted on. The recording download handler hands it the
    exchange's wire bytes; with any other handler it falls back to Scrapy's
    view (body still compressed, headers as Scrapy parsed them).
    """

    def __init__(self, session: CrawlSession) -> None:
        self.session = session

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "WarcCaptureMiddleware":
        return cls(session_of(crawler))

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        exchange = exchange_of(request, response)
        redirect = 300 <= response.status < 400 and "Location" in response.headers
        page = request.meta.get("tearsheet_page")
        await maybe_deferred_to_future(
            self.session.archive(
                response.url,
                *exchange,
                ip_address=str(response.ip_address) if response.ip_address else None,
                truncated="disconnect" if "dataloss" in response.flags else None,
                page=None if redirect else page,
            )
        )
        if redirect and page:
            self._follow_redirect(request, response, page)
        return response

    async def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        """Archive the part of a response received before the download failed.

        The record says why it is partial (``WARC-Truncated``) and is never
        taken as the page's copy. The exception goes on to the retry
        middleware and the spider's errback.
        """
        request.meta.pop(TRUNCATED_META_KEY, None)  # left by an earlier attempt
        wire: WireRecording | None = request.meta.pop(WIRE_META_KEY, None)
        reason = TRUNCATION_REASONS.get(type(exception).__name__)
        if wire is None or reason is None or b"\r\n\r\n" not in wire.response:
            return  # no response head came: nothing to archive
        response = HttpResponse.from_wire(bytes(wire.response))
        if not response.status:
            return
        await maybe_deferred_to_future(
            self.session.archive(
                request.url,
                HttpRequest.from_wire(bytes(wire.request)),
                response,
                ip_address=None,
                truncated=reason,
            )
        )
        request.meta[TRUNCATED_META_KEY] = (
            f"the {len(response.body):,} body bytes received are archived,"
            f" marked WARC-Truncated: {reason}"
        )

    def _follow_redirect(self, request: Request, response: Response, page: str) -> None:
        """A loop is an error; a redirect to a page this crawl has already ends the page."""
        location = response.headers["Location"].decode("latin-1")
        target = urljoin(response.url, location)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        frontier = self.session.frontier
        if target in chain:
            steps = " -> ".join([*chain, target])
            self.session.fetch_failed(page, "redirect_loop", f"redirect loop: {steps}")
            frontier.done(page)
        elif frontier.known(target):
            frontier.done(page)


def exchange_of(request: Request, response: Response) -> tuple[HttpRequest, HttpResponse]:
    """The exchange to archive: as recorded on the wire, else as Scrapy saw it.

    Takes the recording out of ``request.meta``, so its bytes are freed as
    soon as they are parsed, not kept while the records are written.
    """
    wire: WireRecording | None = request.meta.pop(WIRE_META_KEY, None)
    if wire is not None and wire.response:
        sent, received = bytes(wire.request), bytes(wire.response)
        return HttpRequest.from_wire(sent), HttpResponse.from_wire(received)
    # another download handler: archive Scrapy's view of the exchange
    return http_request(request), http_response(response)


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def http_request(request: Request) -> HttpRequest:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers: list[tuple[str, Any]] = [("Host", parts.netloc)]
    headers.extend(_header_pairs(request.headers))
    return HttpRequest(request.method, target, headers, request.body)


def http_response(response: Response) -> HttpResponse:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    protocol = response.protocol or "HTTP/1.1"
    return HttpResponse(
        response.status, reason, _header_pairs(response.headers), response.body, protocol
    )
