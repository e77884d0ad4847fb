"""Crawl files and politeness, against loopback servers that watch the crawler."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_tearsheet
from servers import Route, html_page, serve
from warcio.archiveiterator import ArchiveIterator

from tearsheet.scrapers.politeness import retry_after

pytestmark = pytest.mark.slow

PAGES = {f"/news/{n}.html": f"Story {n}" for n in range(3)}
PAGES["/tag/boats.html"] = "Boats"


def site() -> dict[str, Route]:
    routes = {
        path: Route(html_page(title, [f"{title}: the harbour board met again on Tuesday."] * 3))
        for path, title in PAGES.items()
    }
    return {"/": Route(html_page("Harbour Times", ["Latest."], list(PAGES))), **routes}


def test_a_crawl_file_drives_the_crawl_and_the_command_line_overrides_it(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for name in ("tagger", "marker"):
        (plugins / f"{name}.py").write_text(
            "from tearsheet import hookimpl\n\n\n@hookimpl\ndef clean_article(article):\n"
            f"    article.title = (article.title or '') + ' [{name}]'\n"
        )
    with serve(site()) as server:
        crawl_file = tmp_path / "crawl.toml"
        crawl_file.write_text(
            f'output = "archive"\n\n[crawl]\ndepth_limit = 0\ndelay = 0\nautothrottle = false\n'
            "allow_private = true\n"
            f'contact = "mailto:desk@example.org"\n\n[[sites]]\nstart = ["{server.url}/"]\n'
            f'deny = ["/tag/"]\n\n[plugins]\ndir = "plugins"\ndisable = ["tagger"]\n'
        )
        result = run_tearsheet("crawl", "--config", str(crawl_file), "--depth", "1")
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    assert "/tag/boats.html" not in requested
    assert "/news/2.html" in requested
    archive = tmp_path / "archive"
    with next((archive / "warc").iterdir()).open("rb") as stream:
        info = next(iter(ArchiveIterator(stream))).content_stream().read().decode()
    options = json.loads(info.split("tearsheet-options: ", 1)[1].splitlines()[0])
    assert options["deny"] == ["/tag/"] and options["depth_limit"] == 1  # the CLI won
    assert options["contact"] == "mailto:desk@example.org"
    db = sqlite_utils.Database(archive / "corpus.db")
    [run] = db["runs"].rows
    assert json.loads(run["options"]) == options
    titles = [row["title"] for row in db["articles"].rows]
    assert titles and all(t.endswith(" [marker]") and "[tagger]" not in t for t in titles)


class Watching(BaseHTTPRequestHandler):
    """Answers 429 (or 503) to the first request for /busy, then the page; logs times."""

    log: list[tuple[str, float, str]] = []
    first_status = 429
    retry_after: str | None = "2"

    def do_GET(self) -> None:  # noqa: N802
        self.log.append((self.path, time.monotonic(), self.headers.get("User-Agent", "")))
        if self.path == "/busy" and sum(1 for p, _, _ in self.log if p == "/busy") == 1:
            self.send_response(self.first_status)
            if self.retry_after:
                self.send_header("Retry-After", self.retry_after)
            body = b"slow down"
        elif self.path in ("/", "/busy"):
            self.send_response(200)
            body = html_page("Busy day", ["The port was busy all day with ferries."] * 3, ["/busy"])
        else:
            self.send_response(404)
            body = b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def watched_crawl(tmp_path: Path, status: int, header: str | None, *extra: str) -> tuple:
    handler = type("H", (Watching,), {"log": [], "first_status": status, "retry_after": header})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = run_tearsheet(
            "crawl",
            url,
            "-o",
            str(tmp_path),
            "--delay",
            "0",
            "--no-autothrottle",
            "--allow-private",
            *extra,
        )
    finally:
        server.shutdown()
        server.server_close()
    return result, handler.log


def test_429_with_retry_after_pauses_the_site_and_the_page_is_archived(tmp_path: Path) -> None:
    result, log = watched_crawl(tmp_path, 429, "2", "--contact", "desk@example.org")
    assert result.returncode == 0, result.stderr
    busy = [when for path, when, _ in log if path == "/busy"]
    assert len(busy) == 2
    assert busy[1] - busy[0] >= 1.9
    assert all("desk@example.org" in agent and "tearsheet/" in agent for _, _, agent in log)
    statuses = sorted(
        row["status"]
        for row in sqlite_utils.Database(tmp_path / "corpus.db")["captures"].rows_where(
            "url like '%/busy'"
        )
    )
    assert statuses == [200, 429]  # the refusal is archived too


def test_503_without_retry_after_backs_off_and_a_missing_contact_is_warned(tmp_path) -> None:
    result, log = watched_crawl(tmp_path, 503, None)
    busy = [when for path, when, _ in log if path == "/busy"]
    assert len(busy) == 2 and busy[1] - busy[0] >= 0.9  # first backoff: 1 s
    assert "no --contact given" in result.stderr


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 4, 22, 12, 0, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120
    assert retry_after("Mon, 22 Apr 2024 12:00:30 GMT", now) == 30
    assert retry_after("Mon, 22 Apr 2024 11:00:00 GMT", now) == 0
    assert retry_after("soon", now) is None
