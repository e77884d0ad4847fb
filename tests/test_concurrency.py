"""A crawl writing its corpus while extract, stories and Datasette use the archive.

The corpus is in WAL mode and every connection waits for a writer rather
than failing: no process may see "database is locked", and no row may be
lost. ``tearsheet extract`` of the archive being written reads every whole
record; a record still being written at the end of the newest WARC file is
reported as truncated (exit status 1), and the next extract picks it up.
"""

import asyncio
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, POOL, TEARSHEET
from newssite import ARTICLES, PAGES, news_site
from warcio.archiveiterator import ArchiveIterator

from tearsheet.serve import datasette_app

pytestmark = pytest.mark.slow


def started(command: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as stderr:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)


def browse(archive: Path, until: threading.Event, seen: list[tuple[int, int]]) -> None:
    """Query the corpus in Datasette (live) as a reader would, over and over."""
    app = datasette_app(archive, live=True)

    async def loop() -> None:
        await app.invoke_startup()
        while not until.is_set():
            articles = await app.client.get("/corpus/articles.json?_size=max&_shape=objects")
            search = await app.client.get("/corpus/articles.json?_search=harbour")
            seen.append((articles.status_code, len(articles.json().get("rows", []))))
            seen.append((search.status_code, 0))
            await asyncio.sleep(1)

    asyncio.run(loop())


def test_extract_stories_and_datasette_while_a_crawl_writes(tmp_path: Path) -> None:
    archive, logs, others_done = tmp_path / "archive", tmp_path, threading.Event()
    with news_site(gate=others_done) as (base, served):
        command = [*TEARSHEET, "crawl", *FAST_CRAWL, *POOL, base + "/", "-o", str(archive)]
        crawl = started([*command, "--concurrency", "1"], logs / "crawl.log")
        while len(served) < 6:  # the corpus exists and is being written
            assert crawl.poll() is None, (logs / "crawl.log").read_text()
            time.sleep(0.05)
        done, seen = threading.Event(), []
        reader = threading.Thread(target=browse, args=(archive, done, seen))
        reader.start()
        others = [
            started([*TEARSHEET, "stories", str(archive)], logs / "stories.log"),
            started(
                [*TEARSHEET, "extract", str(archive), "-o", str(tmp_path / "other.db")],
                logs / "extract.log",
            ),
        ]
        codes = [process.wait(timeout=120) for process in others]
        during = crawl.poll() is None
        others_done.set()
        assert crawl.wait(timeout=120) == 0, (logs / "crawl.log").read_text()
        done.set()
        reader.join(timeout=60)
    assert during, "the other commands should run while the crawl writes"

    texts = {log.name: log.read_text() for log in logs.glob("*.log")}
    assert [name for name, text in texts.items() if "locked" in text.lower()] == []
    assert codes[0] == 0, texts["stories.log"]
    # Extract reads the archive as far as it is written; only the newest record may be cut.
    assert codes[1] == 0 or "truncated" in texts["extract.log"], texts["extract.log"]
    assert seen and {status for status, _ in seen} == {200}
    counts = [count for status, count in seen[::2]]
    assert counts == sorted(counts), "a reader saw articles disappear"

    db = sqlite_utils.Database(archive / "corpus.db")
    captured = Counter(row["url"] for row in db["captures"].rows_where("status = 200"))
    assert set(captured) - {base + "/robots.txt"} == {base + path for path in PAGES}
    assert {row["url"] for row in db["articles"].rows} == {base + path for path in ARTICLES}
    other = sqlite_utils.Database(tmp_path / "other.db")
    assert other["captures"].count > 0
    for row in other["captures"].rows:  # what extract read points at whole records
        with (archive / "warc" / row["warc_file"]).open("rb") as stream:
            stream.seek(row["warc_offset"])
            record = next(iter(ArchiveIterator(stream)))
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
