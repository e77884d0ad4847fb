"""The archive a crawl writes into: WARC files, corpus and run, one per crawler."""

import json
import logging
import platform
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from tearsheet import __version__
from tearsheet.archive import Capture
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.files import WARC_DIR
from tearsheet.archive.reader import PayloadIndex, capture_from_record
from tearsheet.archive.writer import WarcFileWriter, payload_digest
from tearsheet.boilerplate import stale_articles
from tearsheet.corpus import CORPUS_NAME, Corpus
from tearsheet.pages import ClassifyRules
from tearsheet.plugins.manager import get_plugin_manager
from tearsheet.processing import Limits, Processor
from tearsheet.scrapers.frontier import Frontier

log = logging.getLogger(__name__)


class CrawlSession:
    """Writes each exchange to the WARC files, then through the processing path."""

    def __init__(self, archive_dir: Path, options: dict[str, Any], software: str) -> None:
        self.archive_dir = Path(archive_dir)
        self.corpus = Corpus(self.archive_dir / CORPUS_NAME)
        limits = Limits(
            plugin_timeout=float(options.get("plugin_timeout") or 0) or None,
            page_rules=ClassifyRules(
                options.get("article_patterns", []), options.get("hub_patterns", [])
            ),
        )
        self.processor = Processor(self.corpus, get_plugin_manager(), limits)
        self.writer = WarcFileWriter(
            self.archive_dir / WARC_DIR,
            info=warcinfo_fields(options, software),
            max_file_size=int(options.get("max_warc_size") or 0) or 1_000_000_000,
        )
        self.run_id = self.corpus.start_run("crawl", options)
        self.frontier = Frontier(self.archive_dir, resume=bool(options.get("resume")))
        self.frontier.save_options(options)
        self.fetched = 0
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
    ) -> Capture:
        """Keep the exchange in the WARC, then extract and store its article.

        A 200 response whose payload the archive already holds becomes a
        revisit record referring to the first capture of that payload.
        ``page`` is the frontier page this response completes, if it does.
        """
        original = None
        if response.status == 200 and response.body and not truncated:
            original = self.corpus.original_of(payload_digest(response))
        capture = self.writer.write_exchange(
            url, request, response, ip_address=ip_address, truncated=truncated, revisit_of=original
        )
        if page is not None:
            # The page's final response is in the WARC: a resumed crawl parses it
            # from there rather than fetching it again.
            self.frontier.archived(page, capture.warc_file, capture.warc_offset)
        self.fetched += 1
        try:
            self.processor.process(capture)
        except Exception:  # the record is safe in the WARC; extract can redo this
            log.exception("%s: processing failed; the capture is archived", url)
            self.processor.counts["errors"] += 1
        return capture

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
        ]
        for page in pages:
            try:
                self.processor.process(self.read_capture(page.warc_file, page.warc_offset))
            except Exception:  # the record stays in the WARC; extract can redo this
                log.exception("%s: processing its archived record failed", page.url)
                self.processor.counts["errors"] += 1
        return len(pages)

    def read_capture(self, warc_file: str, offset: int) -> Capture:
        """The capture archived at ``offset`` of one of this archive's WARC files.

        A revisit record is resolved to its original's payload, found through
        the corpus.
        """
        with (self.archive_dir / WARC_DIR / warc_file).open("rb") as stream:
            stream.seek(offset)
            iterator = ArchiveIterator(stream)
            record = next(iter(iterator))
            entity = None
            if record.rec_type == "revisit":
                entity = self._original_payload(record.rec_headers.get_header("WARC-Refers-To"))
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

    def fetch_failed(self, url: str, kind: str, message: str) -> None:
        """A request that got no usable response: an errors row and a log line."""
        self.processor.report(url, "fetch", kind, message)

    @property
    def stats(self) -> dict[str, int]:
        return {"fetched": self.fetched, **self.processor.counts}

    def close(self) -> None:
        self.writer.close()
        recleaned = self.finish_learning()
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
