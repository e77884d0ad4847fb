"""The processing pool's bounds: large pages count by their bytes, not only one by one."""

from dataclasses import replace
from pathlib import Path

import sqlite_utils

from tearsheet.corpus import Corpus
from tearsheet.plugins.manager import get_plugin_manager, loaded
from tearsheet.pool import ProcessingPool
from tearsheet.processing import Limits, Processor, page_capture

PARAGRAPH = "<p>The harbour master counted the ships at anchor and logged each one by name.</p>"


def large_page(number: int, size: int) -> bytes:
    paragraphs = PARAGRAPH * (size // len(PARAGRAPH))
    title = f"<title>Harbour report {number}</title>"
    return f"<html><head>{title}</head><body><article>{paragraphs}</article></body></html>".encode()


def test_a_run_of_large_pages_fills_the_pool_by_bytes_before_it_fills_by_count(
    tmp_path: Path,
) -> None:
    corpus_path = tmp_path / "corpus.db"
    corpus = Corpus(corpus_path)
    Processor(corpus)  # the tables, as a crawl's session makes them before its workers
    corpus.close()
    pages = [
        replace(
            page_capture(large_page(n, 250_000), f"http://harbour.example/report-{n}.html"),
            warc_file="harbour.warc.gz",
            warc_offset=n,
            warc_record_id=f"<urn:uuid:report-{n}>",
        )
        for n in range(4)
    ]
    choice = loaded(get_plugin_manager()).choice
    pool = ProcessingPool(
        corpus_path, Limits(), choice, workers=1, batch_bytes=400_000, max_pending_bytes=900_000
    )
    try:
        assert pool.max_pending == 16  # captures: four are far below
        pool.submit(pages[0])
        assert pool.waiting and not pool.running  # a batch fills up first
        pool.submit(pages[1])
        assert not pool.waiting and len(pool.running) == 1  # 500 KB: sent, two pages short of 8
        pool.submit(pages[2])
        assert not pool.full
        pool.submit(pages[3])
        assert pool.pending == 4 and pool.full  # 1 MB pending: the crawl waits
        done = pool.drain()
        assert sorted(done.processed) == [("harbour.warc.gz", n) for n in range(4)]
        assert pool.pending_bytes == 0 and not pool.full
    finally:
        pool.close()
    stored = sqlite_utils.Database(corpus_path)["articles"]
    assert {row["url"] for row in stored.rows} == {page.url for page in pages}
