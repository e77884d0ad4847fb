"""Crawling an archive again: conditional requests, 304s, and versions of an edited article."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import html_page

pytestmark = pytest.mark.slow

EDITED = "/2024/04/22/council-approves-harbour-budget.html"
STEADY = "/2024/04/21/ferry-timetable-unchanged-for-summer.html"
NEW = "/2024/04/23/second-story-appears-after-first-crawl.html"


class Newsroom(BaseHTTPRequestHandler):
    """A site that edits one article between crawls and answers 304 when it can."""

    edition = 1
    seen: list[tuple[str, str | None, int]] = []

    def page(self) -> tuple[bytes, str] | None:
        edition = type(self).edition
        if self.path == "/":
            links = ["/news/"] + ([NEW] if edition == 2 else [])
            return html_page("Harbour Times", ["Today."], links), f'"home-{edition}"'
        if self.path == "/news/":  # unchanged between crawls: a 304 the second time
            return html_page("News", ["All the news."], [EDITED, STEADY]), '"news"'
        if self.path == STEADY:
            return html_page(
                "Timetable unchanged", ["The ferry keeps its summer times."] * 3
            ), '"s"'
        if self.path == EDITED:
            amount = "4.2" if edition == 1 else "4.7"
            text = [
                f"The council approved a harbour budget of {amount} million on Monday.",
                "Dredging starts in May and the quay will be resurfaced in the autumn.",
            ]
            return html_page("Council approves budget", text), f'"e-{edition}"'
        if self.path == NEW and edition == 2:
            return html_page("A new story", ["A second story appeared on Tuesday."] * 3), '"n"'
        return None

    def do_GET(self) -> None:  # noqa: N802
        found = self.page()
        status = 404 if found is None else 200
        if found and self.headers.get("If-None-Match") == found[1]:
            status = 304
        type(self).seen.append((self.path, self.headers.get("If-None-Match"), status))
        self.send_response(status)
        if found:
            self.send_header("ETag", found[1])
        body = found[0] if found and status == 200 else b""
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_second_crawl_asks_conditionally_and_keeps_versions(tmp_path: Path) -> None:
    handler = type("H", (Newsroom,), {"seen": [], "edition": 1})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for edition in (1, 2):
            handler.edition = edition
            result = run_tearsheet("crawl", *FAST_CRAWL, f"{base}/", "-o", str(tmp_path))
            assert result.returncode == 0, result.stderr
    finally:
        server.shutdown()
        server.server_close()
    second = handler.seen[len(handler.seen) // 2 :]
    assert (STEADY, '"s"', 304) in second  # unchanged: a conditional request, a 304
    assert (EDITED, '"e-1"', 200) in second  # changed: fetched again
    assert any(
        path == NEW and status == 200 for path, _, status in second
    )  # found via the 304'd home? no: home changed
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    statuses = [row["status"] for row in db["captures"].rows_where("url = ?", [base + STEADY])]
    assert sorted(statuses) == [200, 304]  # the 304 is archived as such
    versions = list(db["versions"].rows_where("url = ?", [base + EDITED], order_by="fetched_at"))
    assert [("4.2" in v["text"], "4.7" in v["text"]) for v in versions] == [
        (True, False),
        (False, True),
    ]
    [article] = db["articles"].rows_where("url = ?", [base + EDITED])
    assert "4.7 million" in article["text"]
    assert len(list(db["versions"].rows_where("url = ?", [base + STEADY]))) == 1
    diff = run_tearsheet("diff", str(tmp_path), base + EDITED)
    assert diff.returncode == 0, diff.stderr
    assert "-The council approved a harbour budget of 4.2 million on Monday." in diff.stdout
    assert "+The council approved a harbour budget of 4.7 million on Monday." in diff.stdout
    one_version = run_tearsheet("diff", str(tmp_path), base + STEADY)
    assert one_version.returncode == 1 and "has 1 version(s)" in one_version.stderr
