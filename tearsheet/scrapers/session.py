"""The archive a crawl writes into: WARC files, corpus and run, one per crawler."""

import json
import logging
import platform
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from tearsheet import __version__
from tearsheet.archive import Capture
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.files import WARC_DIR
from tearsheet.archive.reader import PayloadIndex, archive_iterator, capture_from_record
from tearsheet.archive.writer import (
    Exchange,
    Original,
    Prepared,
    WarcFileWriter,
    warc_date,
)
from tearsheet.boilerplate import stale_articles
from tearsheet.corpus import CORPUS_NAME, Corpus
from tearsheet.memory import MemoryTrimmer
from tearsheet.pages import ClassifyRules
from tearsheet.plugins.manager import get_plugin_manager, loaded
from tearsheet.pool import Finished, ProcessingPool, default_workers
from tearsheet.processing import Limits, Processor
from tearsheet.scrapers.frontier import Frontier
from tearsheet.scrapers.shards import state_dir

log = logging.getLogger(__name__)


class CrawlSession:
    """Writes each exchange to the WARC files, then through the processing path.

    Processing runs in worker processes (``workers``, one per core by
    default) or, with ``workers`` 0, here. Every record is listed in the
    frontier as unprocessed until its rows are in the corpus, so a crawl
    started after a crash first processes what the crash left undone.
    """

    def __init__(self, archive_dir: Path, options: dict[str, Any], software: str) -> None:
        self.archive_dir = Path(archive_dir)
        # A worker of a shared crawl keeps its corpus shard and frontier apart
        # and names its WARC files after itself (docs/distributed.md).
        worker = options.get("worker_id")
        own_dir = state_dir(self.archive_dir, worker)
        self.corpus = Corpus(own_dir / CORPUS_NAME)
        limits = Limits(
            plugin_timeout=float(options.get("plugin_timeout") or 0) or None,
            page_rules=ClassifyRules(
                options.get("article_patterns", []), options.get("hub_patterns", [])
            ),
        )
        manager = get_plugin_manager()
        self.processor = Processor(self.corpus, manager, limits)
        self.extracting = bool(options.get("extract", True))
        workers = options.get("workers")
        workers = default_workers() if workers is None else int(workers)
        self.pool = None
        if self.extracting and workers > 0:
            self.pool = ProcessingPool(self.corpus.path, limits, loaded(manager).choice, workers)
        self.writer = WarcFileWriter(
            self.archive_dir / WARC_DIR,
            info=warcinfo_fields(options, software),
            prefix=f"tearsheet-{worker}" if worker else "tearsheet",
            max_file_size=int(options.get("max_warc_size") or 0) or 1_000_000_000,
        )
        self.compressing: ThreadPool | None = None  # started with the first record
        self.trim_memory = MemoryTrimmer()
        # A first crawl into an archive has no validators to send: no lookups.
        self.archived_before = self.corpus.has_captures()
        self.run_id = self.corpus.start_run("crawl", options)
        self.frontier = Frontier(own_dir, resume=bool(options.get("resume")))
        self.frontier.save_options(options)
        self.fetched = 0
        self.backlog_peak = 0  # most captures waiting for the workers at once
        # Payloads archived whose captures rows the workers have not stored yet.
        self.in_flight: dict[str, Original] = {}
        self.digest_of: dict[tuple[str, int], str] = {}
        self.closed = False
        self.recover()
        if options.get("resume") and (stored := self.store_unstored_pages()):
            log.info("stored %d archived pages the stopped crawl had not processed", stored)

    def archive(
        self,
        url: str,
        request: HttpRequest,
        response: HttpResponse,
        ip_address: str | None,
        truncated: str | None = None,
        page: str | None = None,
    ) -> Deferred:
        """Keep the exchange in the WARC, then hand it on to be extracted and stored.

        A 200 response whose payload the archive already holds becomes a
        revisit record referring to the first capture of that payload.
        ``page`` is the frontier page this response completes, if it does.
        The records are serialised and compressed in a thread (zlib lets go
        of the GIL), which frees the reactor for about a fifth of a page's
        time, and written here; the Deferred fires with the Capture.
        """
        exchange = Exchange(url, request, response, ip_address, datetime.now(UTC), truncated)
        digest = None
        if response.status == 200 and response.body and not truncated:
            digest = exchange.digest
            original = self.in_flight.get(digest) or self.corpus.original_of(digest)
            if original is None:
                # Until its captures row is stored, a copy of the same payload
                # (even one fetched while this is being written) finds it here.
                self.in_flight[digest] = Original(
                    exchange.response_id, url, warc_date(exchange.fetched_at)
                )
            else:
                exchange, digest = replace(exchange, revisit_of=original), None
        written = threads.deferToThreadPool(
            self.reactor, self._compressing(), self.writer.prepare, exchange
        )
        written.addCallback(self._append, page, digest)
        if digest:
            written.addErrback(self._unwritten, digest)
        return written

    @property
    def reactor(self) -> Any:
        from twisted.internet import reactor  # the one Scrapy installed

        return reactor

    def _compressing(self) -> ThreadPool:
        """The thread that compresses records, started on first use.

        One thread keeps up with the fetching; Scrapy's pool of ten kept a
        malloc arena per thread, each as large as the largest pages it saw.
        """
        if self.compressing is None:
            self.compressing = ThreadPool(minthreads=1, maxthreads=1, name="tearsheet-warc")
            self.compressing.start()
            self.reactor.addSystemEventTrigger("during", "shutdown", self._stop_compressing)
        return self.compressing

    def _stop_compressing(self) -> None:
        if self.compressing is not None:
            self.compressing.stop()
            self.compressing = None

    def _unwritten(self, failure: Failure, digest: str) -> Failure:
        self.in_flight.pop(digest, None)  # no record to refer to
        return failure

    def _append(self, prepared: Prepared, page: str | None, digest: str | None) -> Capture:
        """Write the records and mark the page archived, with no wait in between.

        A crawl killed between the two fetches the page again when resumed:
        nothing else may run in that window, so a kill leaves at most the
        one exchange being written twice in the WARC.
        """
        capture = self.writer.append(prepared)
        if digest:
            self.digest_of[(capture.warc_file, capture.warc_offset)] = digest
        if page is not None:
            # The page's final response is in the WARC: a resumed crawl parses it
            # from there rather than fetching it again.
            self.frontier.archived(page, capture.warc_file, capture.warc_offset)
        self.fetched += 1
        self.hand_on(capture)
        return capture

    def hand_on(self, capture: Capture) -> None:
        """Process an archived capture here or in the workers, or just list it."""
        self.trim_memory()
        record = (capture.warc_file, capture.warc_offset)
        if not self.extracting:  # --no-extract: `tearsheet extract` does the rest
            with self.corpus.transaction():
                self.corpus.add_capture(capture)
            self._stored([record])
            return
        self.frontier.to_process(*record)
        if self.pool is not None:
            self.pool.submit(capture)
            self.backlog_peak = max(self.backlog_peak, self.pool.pending)
            self.tick()
            return
        try:
            self.processor.process(capture)
        except Exception:  # the record is safe in the WARC; extract can redo this
            log.exception("%s: processing failed; the capture is archived", capture.url)
            self.processor.counts["errors"] += 1
            self._stored([record])
            return
        self.frontier.processed([record])
        self._stored([record])

    @property
    def must_wait(self) -> bool:
        """True while the workers have as much queued as they may: fetch no more."""
        return self.pool is not None and not self.closed and self.pool.full

    def tick(self) -> None:
        """Note the batches the workers finished; send a part-filled one if it is time."""
        if self.pool is None or self.closed:
            return
        self._settle(self.pool.finished())
        self.pool.send_part_filled()

    def _settle(self, finished: Finished) -> None:
        self.frontier.processed(finished.processed)
        self._stored([*finished.processed, *finished.lost])
        files = sorted({warc_file for warc_file, _ in finished.lost})
        for warc_file in files:
            self.fetch_failed(
                warc_file,
                "worker_lost",
                "a worker process ended before storing captures of this WARC file;"
                " the next crawl into this archive (or `tearsheet extract`) processes them",
                stage="process",
            )

    def _stored(self, records: list[tuple[str, int]]) -> None:
        """These records' captures rows are in the corpus (or never will be): forget them."""
        for record in records:
            self.in_flight.pop(self.digest_of.pop(record, ""), None)

    def recover(self) -> None:
        """Process the records a stopped crawl archived but did not store."""
        for warc_file, offset in self.frontier.unprocessed():
            try:
                capture = self.read_capture(warc_file, offset)
            except (OSError, StopIteration, ValueError) as exc:
                self.fetch_failed(
                    warc_file, "unreadable_warc", f"record at {offset}: {exc}", stage="read"
                )
                self.frontier.processed([(warc_file, offset)])
                continue
            self.hand_on(capture)

    def store_unstored_pages(self) -> int:
        """Process the archived pages a crash kept out of the corpus; how many.

        A page is marked archived as soon as its record is in the WARC, so a
        crawl killed while processing it leaves a page the resumed crawl
        will not fetch again: its record is processed from the WARC here.
        """
        stored = self.corpus.record_places()
        pages = [
            page
            for page in self.frontier.with_records()
            if (page.warc_file, page.warc_offset) not in stored
            and not self.frontier.is_unprocessed(page.warc_file, page.warc_offset)
        ]
        for page in pages:
            try:
                capture = self.read_capture(page.warc_file, page.warc_offset)
            except (OSError, StopIteration, ValueError) as exc:
                log.error("%s: its archived record cannot be read: %s", page.url, exc)
                continue
            self.hand_on(capture)
        return len(pages)

    def read_capture(self, warc_file: str, offset: int) -> Capture:
        """The capture archived at ``offset`` of one of this archive's WARC files.

        A revisit record is resolved to its original's payload, found through
        the corpus.
        """
        with (self.archive_dir / WARC_DIR / warc_file).open("rb") as stream:
            stream.seek(offset)
            with archive_iterator(stream) as iterator:
                record = next(iter(iterator))
                entity = None
                if record.rec_type == "revisit":
                    refers_to = record.rec_headers.get_header("WARC-Refers-To")
                    entity = self._original_payload(refers_to)
                capture = capture_from_record(record, warc_file, offset, 0, entity)
                iterator.read_to_end(record)
                return replace(capture, warc_length=iterator.get_record_length())

    def _original_payload(self, record_id: str | None) -> bytes | None:
        row = self.corpus.db.execute(
            "select warc_file, warc_offset, payload_digest from captures where warc_record_id = ?",
            [record_id],
        ).fetchone()
        if row is None:
            return None
        payloads = PayloadIndex()
        payloads.remember(row[2], self.archive_dir / WARC_DIR / row[0], row[1])
        return payloads.entity(row[2])

    def finish_learning(self) -> int:
        """Clean again the articles a later-learned template would change; how many."""
        stale = stale_articles(self.corpus.db)
        for warc_file, offset in stale:
            self.processor.process(self.read_capture(warc_file, offset))
        return len(stale)

    def capped(self, kind: str) -> None:
        """Count a URL a crawl cap refused; the run's stats keep the count by kind."""
        self.processor.counts[kind] += 1

    def fetch_failed(self, url: str, kind: str, message: str, stage: str = "fetch") -> None:
        """A request that got no usable response: an errors row and a log line."""
        with self.corpus.transaction():
            self.processor.report(url, stage, kind, message)

    @property
    def stats(self) -> dict[str, int]:
        counts = self.processor.counts + (self.pool.counts if self.pool else Counter())
        backlog = {"backlog_peak": self.backlog_peak} if self.pool else {}
        return {"fetched": self.fetched, **counts, **backlog}

    def close(self) -> None:
        if self.pool is not None:
            self.pool.flush()
            self._settle(self.pool.drain())
            self.pool.close()
        self.closed = True
        self._stop_compressing()
        self.writer.close()
        recleaned = self.finish_learning() if self.extracting else 0
        if recleaned:
            log.info("cleaned %d articles again with the site templates learned", recleaned)
        self.frontier.close()
        self.corpus.finish_run(self.run_id, self.stats)
        self.corpus.close()


def warcinfo_fields(options: dict[str, Any], software: str) -> dict[str, str]:
    """The warcinfo record's fields: who wrote the file, how, and with what options."""
    return {
        "software": software,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": platform.node(),
        "robots": "obey" if options.get("obey_robots", True) else "ignore",
        "http-header-user-agent": str(options.get("user_agent") or ""),
        "tearsheet-options": json.dumps(options, sort_keys=True, default=str),
    }


def software_name() -> str:
    import scrapy

    warcio_version = version("warcio")
    return f"tearsheet/{__version__} (Scrapy/{scrapy.__version__}; warcio/{warcio_version})"
