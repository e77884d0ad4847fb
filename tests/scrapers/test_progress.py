"""What a crawl shows: a live display and a table on a terminal, plain lines elsewhere."""

import os
import pty
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FAST_CRAWL, TEARSHEET, run_tearsheet
from servers import Route, html_page, serve

pytestmark = pytest.mark.slow

PAGES = [f"/2024/04/{n + 1:02d}/harbour-report-number-{n}.html" for n in range(6)]


def site() -> dict[str, Route]:
    routes = {p: Route(html_page(p, [f"Harbour report {p} on the tides."] * 3)) for p in PAGES}
    return {"/": Route(html_page("Harbour", ["Reports."], PAGES)), **routes}


def test_plain_progress_lines_when_not_on_a_terminal(tmp_path: Path) -> None:
    with serve(site()) as server:
        result = run_tearsheet(
            "crawl",
            *FAST_CRAWL,
            "--delay",
            "0.2",
            f"{server.url}/",
            "-o",
            str(tmp_path),
            "--progress-interval",
            "0.3",
        )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("tearsheet: ")]
    assert lines and all(" fetched (" in line and " queued" in line for line in lines)
    assert "Crawled into" in result.stderr
    assert "\x1b[" not in result.stderr  # no terminal codes in a log


def test_a_live_display_and_a_summary_table_on_a_terminal(tmp_path: Path) -> None:
    with serve(site()) as server:
        leader, follower = pty.openpty()
        crawl = subprocess.Popen(
            [*TEARSHEET, "crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(tmp_path)],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )
        os.close(follower)
        output = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the crawl ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
        crawl.wait(timeout=30)
        os.close(leader)
    text = output.decode("utf-8", "replace")
    assert crawl.returncode == 0, text
    assert "Crawl finished" in text
    assert "articles stored" in text and "responses archived" in text


def test_quiet_says_nothing_but_errors(tmp_path: Path) -> None:
    with serve(site()) as server:
        result = run_tearsheet(
            "crawl",
            *FAST_CRAWL,
            "-q",
            f"{server.url}/",
            "-o",
            str(tmp_path),
            "--progress-interval",
            "0.1",
        )
    assert result.returncode == 0
    assert result.stderr == ""
