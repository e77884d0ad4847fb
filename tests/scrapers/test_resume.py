"""A crawl killed with SIGKILL resumes: every page archived exactly once, nothing lost."""

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, POOL, TEARSHEET, run_tearsheet
from servers import html_page

pytestmark = pytest.mark.slow

SECTIONS = [f"/section/{s}/" for s in range(4)]
STORIES = {
    s: [f"/section/{s}/2024/04/{n + 10}/tide-tables-report-number-{n}.html" for n in range(8)]
    for s in range(4)
}


class SlowSite(BaseHTTPRequestHandler):
    """Home → sections → stories, each answer a little slow, so the kill lands mid-crawl."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        time.sleep(0.05)
        if self.path == "/":
            body = html_page("Gazette", ["Sections."], SECTIONS)
        elif self.path in SECTIONS:
            section = int(self.path.split("/")[2])
            body = html_page(f"Section {section}", ["Stories."], STORIES[section])
        elif any(self.path in stories for stories in STORIES.values()):
            body = html_page(self.path, [f"Report {self.path} on the tide tables."] * 3)
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

    def log_message(self, *args: object) -> None:
        pass


def archived_pages(archive: Path) -> int:
    """Pages whose response is in a WARC file, as the crawl's frontier says (at once,
    while the corpus rows follow as the extraction workers catch up)."""
    try:
        with sqlite3.connect(archive / "frontier.db") as db:
            query = "select count(*) from pages where warc_file is not null"
            return db.execute(query).fetchone()[0]
    except sqlite3.Error:  # the crawl is still creating it
        return 0


def wait_for_archived(archive: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if archived_pages(archive) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {count} pages archived within {timeout} s")


@pytest.mark.parametrize(
    "stop", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["SIGKILL", "SIGTERM", "Ctrl-C"]
)
def test_a_stopped_crawl_resumes_with_every_page_archived_once(tmp_path: Path, stop) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    archive = tmp_path / "archive"
    try:
        crawl = subprocess.Popen(
            [*TEARSHEET, "crawl", *FAST_CRAWL, *POOL, url, "-o", str(archive)]
            + ["--concurrency", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_archived(archive, 6)  # some pages archived, not all 37
        os.kill(crawl.pid, stop)
        crawl.wait(timeout=60)
        assert 0 < archived_pages(archive) < 37, "the stop should land mid-crawl"
        resumed = run_tearsheet("crawl", "--resume", str(archive))
        assert resumed.returncode == 0, resumed.stderr
    finally:
        server.shutdown()
        server.server_close()
    db = sqlite_utils.Database(archive / "corpus.db")
    pages = Counter(row["url"] for row in db["captures"].rows_where("status = 200"))
    expected = {url, *(url[:-1] + p for p in SECTIONS)}
    expected |= {url[:-1] + p for stories in STORIES.values() for p in stories}
    assert set(pages) - {url + "robots.txt"} == expected
    assert all(count == 1 for page, count in pages.items() if page in expected)
    verify = run_tearsheet("verify", str(archive))
    assert verify.returncode == 0, verify.stdout
    assert {row["url"] for row in db["articles"].rows} >= {
        url[:-1] + p for stories in STORIES.values() for p in stories
    }


def test_resume_without_a_stopped_crawl_says_so(tmp_path: Path) -> None:
    result = run_tearsheet("crawl", "--resume", str(tmp_path))
    assert result.returncode == 2
    assert "holds no crawl to resume" in result.stderr
