"""A small loopback news site for the crash and concurrency tests: 40 pages, some slow."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from servers import html_page

SECTIONS = [f"/section/{s}/" for s in range(3)]
STORIES = {
    section: [f"{section}2025/03/{n + 10}/harbour-report-{n}.html" for n in range(12)]
    for section in SECTIONS
}
PAGES = ["/", *SECTIONS, *(story for stories in STORIES.values() for story in stories)]
ARTICLES = [path for path in PAGES if path.endswith(".html")]


def story_page(number: int) -> bytes:
    return html_page(
        f"Harbour report {number}",
        [
            f"Report {number}: the harbour master counted {number * 7} ships at anchor.",
            f"Pilots said the tide on day {number} came in {number % 5} minutes late.",
            "The port authority will publish its yearly figures in the spring.",
        ],
    )


class NewsSite(BaseHTTPRequestHandler):
    """Home → 3 sections → 36 stories; every fourth story is slow, so a crawl takes a while."""

    protocol_version = "HTTP/1.1"
    served: list[str]  # the paths answered, in order; set per server
    gate: threading.Event | None  # while clear, stories are slow (see news_site)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/":
            body = html_page("Harbour Gazette", ["The sections of the paper."], SECTIONS)
        elif self.path in STORIES:
            body = html_page(f"Section {self.path}", ["Latest reports."], STORIES[self.path])
        elif self.path in PAGES:
            number = PAGES.index(self.path)
            time.sleep(0.15 if number % 4 == 0 else 0.01)
            if (
                self.gate is not None
                and not self.gate.wait(0.3)
                and len(self.served) >= len(PAGES) - 8  # the last pages wait for the gate
            ):
                self.gate.wait(60)
            body = story_page(number)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.served.append(self.path)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A killed crawler drops its connections: expected here, not worth a traceback."""


@contextmanager
def news_site(gate: threading.Event | None = None) -> Iterator[tuple[str, list[str]]]:
    """The site's base URL (no trailing slash) and the paths it has served so far.

    With a ``gate``, stories are slow until it is set and the last few wait
    for it: a crawl keeps writing while other programs start, and does not
    end before they are done.
    """
    served: list[str] = []
    handler = type("Handler", (NewsSite,), {"served": served, "gate": gate})
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
