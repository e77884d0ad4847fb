"""Serve the demo outlets on loopback, one port (one origin) per outlet.

Each outlet is its own site so that crawling, robots.txt, sitemaps and
per-site boilerplate learning meet what they meet on the web: separate hosts.
"""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from tearsheet.demo.content import OutletContent, Story, load_outlets
from tearsheet.demo.render import HTML, Page, render_outlet


@dataclass(frozen=True)
class DemoArticle:
    """What an article page says, for tests and demos to check extraction against."""

    url: str
    outlet: str
    title: str
    body_paragraphs: list[str]
    authors: list[str]
    published: str
    """ISO date (YYYY-MM-DD)."""
    section: str
    seed: str | None
    """The seed text's file stem for the five seed-story pages, else None."""
    boilerplate: list[str]
    """The seed's boilerplate lines that this page's template shows, verbatim."""
    body_text: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "body_text", "\n".join(self.body_paragraphs))


@dataclass(frozen=True)
class Outlet:
    """One running outlet: its name, origin and articles."""

    name: str
    key: str
    base_url: str
    feed_path: str
    articles: list[DemoArticle]

    @property
    def home_url(self) -> str:
        return f"{self.base_url}/"

    @property
    def sitemap_url(self) -> str:
        return f"{self.base_url}/sitemap.xml"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}{self.feed_path}"

    @property
    def robots_url(self) -> str:
        return f"{self.base_url}/robots.txt"


def _demo_article(story: Story, outlet: OutletContent, base_url: str) -> DemoArticle:
    return DemoArticle(
        url=base_url + story.path,
        outlet=outlet.name,
        title=story.title,
        body_paragraphs=[block.text for block in story.body],
        authors=list(story.authors),
        published=story.published.date().isoformat(),
        section=story.section.name,
        seed=story.seed,
        boilerplate=list(story.boilerplate),
    )


NOT_FOUND = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The page you asked for does not exist.</p></body></html>"
)


class _OutletServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.pages: dict[str, Page] = {}


class _Handler(BaseHTTPRequestHandler):
    """Answers from the pre-rendered pages, with validators for conditional requests."""

    server: _OutletServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "tearsheet-demo"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: a crawl of the demo must not flood the terminal."""

    def _answer(self, send_body: bool) -> None:
        self.close_connection = True  # no idle keep-alive threads left behind by stop()
        path = urlsplit(self.path).path
        page = self.server.pages.get(path)
        if page is None and f"{path}/" in self.server.pages:
            self._respond(301, {"Location": f"{path}/"}, b"", HTML, send_body)
        elif page is None:
            self._respond(404, {}, NOT_FOUND, HTML, send_body)
        else:
            validators = {
                "Last-Modified": format_datetime(page.last_modified.astimezone(UTC), usegmt=True),
                "ETag": page.etag,
                "Cache-Control": "public, max-age=300",
            }
            if self._not_modified(page.etag, page.last_modified):
                self._respond(304, validators, None, None, send_body=False)
            else:
                self._respond(200, validators, page.body, page.content_type, send_body)

    def _not_modified(self, etag: str, last_modified: datetime) -> bool:
        """If-None-Match wins over If-Modified-Since, as RFC 9110 says."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:  # a "-0000" zone parses naive; HTTP dates are UTC
            since = since.replace(tzinfo=UTC)
        return last_modified <= since

    def _respond(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes | None,
        content_type: str | None,
        send_body: bool,
    ) -> None:
        """Send one response; a 304 (body None) has neither body nor body headers."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None and content_type is not None:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


@dataclass
class _Running:
    outlet: Outlet
    server: _OutletServer
    thread: threading.Thread


class DemoSite:
    """The five demo outlets, each served from its own port on ``host``.

    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._content = load_outlets()
        self._running: list[_Running] = []

    def start(self) -> "DemoSite":
        """Bind an ephemeral port per outlet, render its pages, serve them in threads."""
        if self._running:
            raise RuntimeError("DemoSite is already running")
        try:
            for content in self._content:
                self._running.append(self._serve(content))
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, content: OutletContent) -> _Running:
        server = _OutletServer(self.host)
        host, port = server.server_address[:2]
        base_url = f"http://{host}:{port}"
        server.pages = render_outlet(content, base_url)
        articles = [_demo_article(story, content, base_url) for story in content.stories]
        outlet = Outlet(content.name, content.key, base_url, content.feed_path, articles)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"tearsheet-demo-{content.key}",
            daemon=True,
        )
        thread.start()
        return _Running(outlet, server, thread)

    def stop(self) -> None:
        """Stop every outlet's server and wait for its thread."""
        running, self._running = self._running, []
        # shutdown() waits for a poll interval; waiting for all five at once is five times faster
        stoppers = [threading.Thread(target=item.server.shutdown) for item in running]
        for stopper in stoppers:
            stopper.start()
        for stopper, item in zip(stoppers, running, strict=True):
            stopper.join()
            item.server.server_close()
            item.thread.join()

    def __enter__(self) -> "DemoSite":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def outlets(self) -> list[Outlet]:
        """The running outlets, in seed order (000 to 004)."""
        if not self._running:
            raise RuntimeError("DemoSite is not running: use it in a with block or call start()")
        return [item.outlet for item in self._running]

    @property
    def start_urls(self) -> list[str]:
        """Each outlet's home page: where a crawl of the demo starts."""
        return [outlet.home_url for outlet in self.outlets]

    @property
    def articles(self) -> list[DemoArticle]:
        return [article for outlet in self.outlets for article in outlet.articles]

    @property
    def seed_articles(self) -> list[DemoArticle]:
        """The five retellings of the seed story, in seed order."""
        seeded = [article for article in self.articles if article.seed]
        return sorted(seeded, key=lambda article: article.seed or "")
