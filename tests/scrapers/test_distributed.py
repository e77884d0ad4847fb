"""Several workers, one crawl through a real redis-server: every URL once, none lost."""

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, TEARSHEET, run_tearsheet
from redisserver import RedisServer, running_redis
from servers import html_page

from tearsheet.archive.verify import verify_paths

pytestmark = pytest.mark.slow

SECTIONS = [f"/section/{s}/" for s in range(4)]
STORIES = [
    f"/section/{s}/2024/04/{n + 10}/harbour-report-{s}-{n}.html" for s in range(4) for n in range(8)
]
PAGES = {"/", *SECTIONS, *STORIES}


class Site(BaseHTTPRequestHandler):
    """Home → 4 sections → 8 stories each; answers a little slow, and logs every request."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path in self.server.gated:  # type: ignore[attr-defined]
            self.server.gate.wait(60)  # type: ignore[attr-defined]  # until the test lets it
        time.sleep(0.05)
        if self.path == "/":
            body = html_page("Harbour Gazette", ["Sections."], SECTIONS)
        elif self.path in SECTIONS:
            body = html_page(
                self.path, ["Stories."], [p for p in STORIES if p.startswith(self.path)]
            )
        elif self.path in STORIES:
            body = html_page(self.path, [f"Report {self.path} on the harbour's tide tables."] * 3)
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


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
def site() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.requests = []  # type: ignore[attr-defined]
    server.gate = threading.Event()  # type: ignore[attr-defined]
    server.gate.set()  # type: ignore[attr-defined]
    server.gated = {"/"}  # type: ignore[attr-defined]
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def worker(site_url: str, archive: Path, redis_url: str, worker_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*TEARSHEET, "crawl", *FAST_CRAWL, f"{site_url}/", "-o", str(archive)]
        + ["--redis", redis_url, "--worker-id", worker_id, "--depth", "0", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def captures(archive: Path) -> Counter[str]:
    """Pages archived (200) across every worker's shard, each counted once per capture."""
    found: Counter[str] = Counter()
    for shard in sorted((archive / "workers").glob("*/corpus.db")):
        for row in sqlite_utils.Database(shard)["captures"].rows_where("status = 200"):
            found[row["url"]] += 1
    return found


def shard_captures(archive: Path, worker_id: str) -> int:
    path = archive / "workers" / worker_id / "corpus.db"
    if not path.exists():
        return 0
    db = sqlite_utils.Database(path)
    return db["captures"].count if db["captures"].exists() else 0


def assert_warcs_whole(archive: Path) -> None:
    """What `tearsheet verify` checks: every record whole, both digests right."""
    reports = verify_paths([archive])
    assert reports
    assert [problem for report in reports for problem in report.problems] == []


def held(archive: Path, worker_id: str) -> int:
    """Pages a worker took from the shared queue and has not archived yet."""
    frontier = archive / "workers" / worker_id / "frontier.db"
    if not frontier.exists():
        return 0
    return sqlite_utils.Database(frontier)["pages"].count_where("state = 'queued'")


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_three_workers_fetch_every_url_once_and_together_archive_the_site(
    tmp_path: Path, redis_server: RedisServer, site: ThreadingHTTPServer
) -> None:
    archive = tmp_path / "archive"
    ids = ["w1", "w2", "w3"]
    site.gate.clear()  # the home page waits until all three workers have joined the job
    workers = [worker(site.url, archive, redis_server.url, w) for w in ids]
    wait_until(lambda: redis_server.client().scard("tearsheet:archive:workers") == 3)
    site.gate.set()
    for process in workers:
        _, stderr = process.communicate(timeout=90)
        assert process.returncode == 0, stderr

    fetched = Counter(path for path in site.requests if path != "/robots.txt")
    assert set(fetched) == PAGES
    assert all(count == 1 for count in fetched.values()), fetched.most_common(3)
    archived = captures(archive)
    assert set(archived) == {site.url + path for path in PAGES}
    assert all(count == 1 for count in archived.values())
    articles = set()
    for w in ids:
        db = sqlite_utils.Database(archive / "workers" / w / "corpus.db")
        articles |= {row["url"] for row in db["articles"].rows}
        # A shard refers only to its own worker's WARC files, named after it.
        assert all(row["warc_file"].startswith(f"tearsheet-{w}-") for row in db["captures"].rows)
    assert articles >= {site.url + path for path in STORIES}
    assert sum(1 for w in ids if shard_captures(archive, w) > 0) >= 2, "the work was shared"
    assert_warcs_whole(archive)

    # The shards merge into one complete corpus; merging again adds nothing.
    shards = [str(archive / "workers" / w / "corpus.db") for w in ids]
    merged_path = archive / "corpus.db"
    counts = []
    for _ in range(2):
        merged = run_tearsheet("merge", *shards, "-o", str(merged_path))
        assert merged.returncode == 0, merged.stderr
        db = sqlite_utils.Database(merged_path)
        assert {row["url"] for row in db["articles"].rows} == articles
        counts.append((db["captures"].count, db["articles"].count, db["versions"].count))
    every_capture = sum(sqlite_utils.Database(shard)["captures"].count for shard in shards)
    assert counts[0] == counts[1] == (every_capture, len(articles), len(articles))


def test_a_killed_worker_loses_no_url_when_resumed(
    tmp_path: Path, redis_server: RedisServer, site: ThreadingHTTPServer
) -> None:
    archive = tmp_path / "archive"
    first = worker(site.url, archive, redis_server.url, "w1")
    wait_until(lambda: shard_captures(archive, "w1") >= 3 and held(archive, "w1") > 0)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert held(archive, "w1") > 0, "the kill should land while w1 holds pages"
    # Another worker takes what is queued; w1's own --resume gives back what it held.
    second = worker(site.url, archive, redis_server.url, "w2")
    resumed = run_tearsheet("crawl", "--resume", str(archive), "--worker-id", "w1", "-q")
    assert resumed.returncode == 0, resumed.stderr
    _, stderr = second.communicate(timeout=60)
    assert second.returncode == 0, stderr

    archived = captures(archive)
    assert set(archived) == {site.url + path for path in PAGES}
    assert all(count == 1 for count in archived.values()), archived.most_common(3)
    assert_warcs_whole(archive)


def test_redis_lost_mid_crawl_stops_the_worker_cleanly_and_resume_completes(
    tmp_path: Path, redis_server: RedisServer, site: ThreadingHTTPServer
) -> None:
    archive = tmp_path / "archive"
    site.gated = set(STORIES)  # stories wait: Redis goes while the worker holds some
    site.gate.clear()
    crawl = worker(site.url, archive, redis_server.url, "w1")
    wait_until(lambda: shard_captures(archive, "w1") >= 3)
    redis_server.stop()
    site.gate.set()
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 3
    assert stderr.startswith(f"tearsheet: lost Redis at {redis_server.url} mid-crawl")
    assert stderr.count("\n") == 1
    before = captures(archive)
    assert 0 < len(before) < len(PAGES), "Redis should be lost mid-crawl"
    assert_warcs_whole(archive)

    redis_server.start()  # empty: Redis kept nothing of the job
    resumed = run_tearsheet("crawl", "--resume", str(archive), "--worker-id", "w1", "-q")
    assert resumed.returncode == 0, resumed.stderr
    archived = captures(archive)
    assert set(archived) == {site.url + path for path in PAGES}
    assert all(count == 1 for count in archived.values()), archived.most_common(3)
    assert_warcs_whole(archive)
