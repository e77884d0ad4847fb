"""Extraction in worker processes: the crawl waits for them, and loses nothing when one dies."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, TEARSHEET, run_tearsheet
from servers import Route, html_page, serve

pytestmark = pytest.mark.slow

STORIES = [f"/news/2024/05/{n:02d}/harbour-report-{n}.html" for n in range(1, 61)]

SLOW_CLEANER = """
import time
from tearsheet.plugins import hookimpl

@hookimpl
def clean_article(article):
    time.sleep(0.04)  # extraction slower than loopback fetching
"""

DYING_CLEANER = """
import multiprocessing, os
from tearsheet.plugins import hookimpl

@hookimpl
def clean_article(article):
    if article.url.endswith("harbour-report-7.html") and multiprocessing.parent_process():
        os._exit(1)  # a worker process that dies (as from the OOM killer)
"""


def site() -> dict[str, Route]:
    routes = {"/": Route(html_page("Harbour Herald", ["Latest reports."], STORIES))}
    for path in STORIES:
        number = path.rsplit("-", 1)[1].split(".")[0]
        paragraphs = [
            f"Report {number}: the harbour master counted {number} ships at anchor today.",
            f"Pilots said berth {number} would reopen once the dredging of its channel ends.",
        ]
        routes[path] = Route(html_page(f"Harbour report {number}", paragraphs))
    return routes


def plugin_dir(tmp_path: Path, name: str, source: str) -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir()
    (directory / f"{name}.py").write_text(source)
    return directory


def run_stats(archive: Path) -> dict[str, int]:
    rows = list(sqlite_utils.Database(archive / "corpus.db")["runs"].rows)
    return json.loads(rows[-1]["stats"])


def articles(archive: Path) -> set[str]:
    return {row["url"] for row in sqlite_utils.Database(archive / "corpus.db")["articles"].rows}


def test_fetching_waits_for_busy_workers_so_the_backlog_stays_bounded(tmp_path: Path) -> None:
    plugins = plugin_dir(tmp_path, "slow_cleaner", SLOW_CLEANER)
    with serve(site()) as server:
        result = run_tearsheet(
            "--plugins-dir",
            str(plugins),
            "crawl",
            *FAST_CRAWL,
            f"{server.url}/",
            "-o",
            str(tmp_path / "archive"),
            "--workers",
            "1",
            "--concurrency",
            "8",
        )
    assert result.returncode == 0, result.stderr
    stats = run_stats(tmp_path / "archive")
    # One worker may have 2 batches of 8 queued, plus one part-filled batch and the
    # requests already in flight when the crawl was told to wait: far below 60.
    assert stats["backlog_peak"] <= 2 * 8 + 8 + 8
    assert articles(tmp_path / "archive") == {server.url + path for path in STORIES}


def test_a_worker_that_dies_costs_no_article_once_the_crawl_is_resumed(tmp_path: Path) -> None:
    plugins = plugin_dir(tmp_path, "dying_cleaner", DYING_CLEANER)
    archive = tmp_path / "archive"
    with serve(site()) as server:
        crawl = run_tearsheet(
            "--plugins-dir",
            str(plugins),
            "crawl",
            *FAST_CRAWL,
            f"{server.url}/",
            "-o",
            str(archive),
            "--workers",
            "1",
        )
        assert crawl.returncode == 0, crawl.stderr
        db = sqlite_utils.Database(archive / "corpus.db")
        [lost] = list(db["errors"].rows_where("kind = 'worker_lost'"))
        assert lost["stage"] == "process"
        assert "next crawl into this archive" in lost["message"]
        assert server.url + STORIES[6] not in articles(archive)
        # Without the plugin that kills workers, the next run stores what was lost.
        resumed = run_tearsheet("crawl", "--resume", str(archive), "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert articles(archive) == {server.url + path for path in STORIES}
    frontier = sqlite_utils.Database(archive / "frontier.db")
    assert frontier["unprocessed"].count == 0


def test_no_extract_archives_only_and_extract_builds_the_corpus_later(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with serve(site()) as server:
        crawl = run_tearsheet(
            "crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(archive), "--no-extract"
        )
    assert crawl.returncode == 0, crawl.stderr
    db = sqlite_utils.Database(archive / "corpus.db")
    assert db["captures"].count == 62  # robots.txt, the home page, 60 stories
    assert not db["articles"].exists() or db["articles"].count == 0
    extract = run_tearsheet(
        "extract",
        str(archive),
        "-o",
        str(tmp_path / "later.db"),
    )
    assert extract.returncode == 0, extract.stderr
    later = sqlite_utils.Database(tmp_path / "later.db")
    assert {row["url"] for row in later["articles"].rows} == {server.url + p for p in STORIES}


def holders_of(path: Path) -> set[int]:
    """Processes with ``path`` open, from /proc."""
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(str(path) in os.readlink(fd) for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return pids


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux's /proc")
def test_workers_end_when_the_crawl_is_killed(tmp_path: Path) -> None:
    plugins = plugin_dir(tmp_path, "slow_cleaner", SLOW_CLEANER)
    archive = tmp_path / "archive"
    with serve(site()) as server:
        crawl = subprocess.Popen(
            [*TEARSHEET, "--plugins-dir", str(plugins), "crawl", *FAST_CRAWL]
            + [f"{server.url}/", "-o", str(archive), "--workers", "2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(holders_of(archive / "corpus.db")) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(holders_of(archive / "corpus.db")) >= 3, "the crawl and its two workers"
        crawl.kill()
        crawl.wait(timeout=10)
        deadline = time.monotonic() + 10
        while holders_of(archive / "corpus.db") and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not holders_of(archive / "corpus.db"), "worker processes outlived the crawl"
