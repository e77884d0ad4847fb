"""The one processing path: Capture → extract → clean… → export….

A live crawl and ``tearsheet extract`` both call ``Processor.process``;
``extract_html`` runs the same chain on one page without a corpus. Nothing
here imports Scrapy or Twisted.
"""

import logging
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import pluggy

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.corpus import Corpus
from tearsheet.plugins.manager import call_each, get_plugin_manager

log = logging.getLogger(__name__)

DEFAULT_MAX_EXTRACT_BYTES = 10 * 1024 * 1024
BINARY_SNIFF_BYTES = 4096
WORD = re.compile(r"\w{2,}")  # an "article" of only punctuation is no article


class ExtractionError(ValueError):
    """Raised by ``extract_html`` when a page yields no article."""


class ErrorReport(Protocol):
    def __call__(
        self,
        url: str,
        stage: str,
        kind: str,
        message: str,
        *,
        capture: Capture | None = None,
        plugin: str | None = None,
        hook: str | None = None,
        traceback: str | None = None,
    ) -> None: ...


@dataclass
class Limits:
    """Guards applied before extraction."""

    max_extract_bytes: int = DEFAULT_MAX_EXTRACT_BYTES


def unusable_body(capture: Capture, limits: Limits) -> tuple[str, str] | None:
    """Why a body cannot be extracted, as (kind, message), or None if it can."""
    body = capture.body
    if not body.strip():
        return "empty_body", "the response body is empty"
    if len(body) > limits.max_extract_bytes:
        return (
            "too_large",
            f"body of {len(body):,} bytes is over the {limits.max_extract_bytes:,}-byte limit",
        )
    head = body[:BINARY_SNIFF_BYTES]
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    if (
        b"\x00" in head
        and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
        or controls > len(head) // 10
    ):
        return "binary_body", "the body is binary data, not text, though labelled HTML"
    return None


def undecodable_bytes(capture: Capture) -> str | None:
    """Say where the body breaks its own charset; the text keeps U+FFFD there."""
    encoding = capture.encoding_and_text[0]
    try:
        capture.body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        return f"bytes not valid {encoding} at offset {start}; replaced with U+FFFD"
    return None


def run_chain(
    capture: Capture,
    manager: pluggy.PluginManager,
    report: ErrorReport,
    corpus: Corpus | None = None,
) -> Article | None:
    """Extract an article from a capture and pass it through every cleaner."""
    article = _extract(capture, manager, report)
    if article is None:
        return None
    for impl, call in call_each(
        manager.hook.clean_article, {"article": article, "capture": capture, "corpus": corpus}
    ):
        try:
            cleaned = call()
        except Exception as exc:
            _report_exception(report, capture, "clean", impl.plugin_name, "clean_article", exc)
            continue
        if cleaned is not None:
            article = cleaned
    return article


def _extract(
    capture: Capture, manager: pluggy.PluginManager, report: ErrorReport
) -> Article | None:
    for impl, call in call_each(manager.hook.extract_article, {"capture": capture}):
        try:
            article = call()
        except Exception as exc:
            _report_exception(report, capture, "extract", impl.plugin_name, "extract_article", exc)
            continue
        if article is not None and WORD.search(article.text):
            return article
    return None


def _report_exception(
    report: ErrorReport, capture: Capture, stage: str, plugin: str, hook: str, exc: Exception
) -> None:
    report(
        capture.url,
        stage,
        "plugin_error",
        f"plugin {plugin!r} raised in {hook}: {type(exc).__name__}: {exc}",
        capture=capture,
        plugin=plugin,
        hook=hook,
        traceback=traceback.format_exc(),
    )


class Processor:
    """Runs every capture through the chain into one corpus, counting outcomes."""

    def __init__(
        self,
        corpus: Corpus,
        manager: pluggy.PluginManager | None = None,
        limits: Limits | None = None,
        on_article: Callable[[Article, Capture], None] | None = None,
    ) -> None:
        self.corpus = corpus
        self.manager = manager or get_plugin_manager()
        self.limits = limits or Limits()
        self.counts: Counter[str] = Counter()
        self.on_article = on_article
        self.manager.hook.prepare_corpus(db=corpus.db)

    def process(self, capture: Capture) -> str:
        """Store the capture and, for an HTML page, its article; return the outcome."""
        with self.corpus.transaction():
            outcome = self._process(capture)
        self.counts[outcome] += 1
        return outcome

    def report(self, url: str, stage: str, kind: str, message: str, **details: Any) -> None:
        """Record an error row and a log line."""
        log.warning("%s: %s", url, message)
        self.counts["errors"] += 1
        self.corpus.add_error(url, stage, kind, message, **details)

    def _process(self, capture: Capture) -> str:
        self.corpus.add_capture(capture)
        if not 200 <= capture.status < 300 or not capture.is_html:
            return "skipped"
        if capture.record_type == "revisit" and not capture.body:
            return "unresolved_revisit"  # its original is in no WARC given
        problem = unusable_body(capture, self.limits)
        if problem is not None:
            self.report(capture.url, "extract", problem[0], problem[1], capture=capture)
            return "failed"
        decoding = undecodable_bytes(capture)
        if decoding is not None:
            self.report(capture.url, "extract", "undecodable_bytes", decoding, capture=capture)
        article = run_chain(capture, self.manager, self.report, self.corpus)
        if article is None:
            self.report(
                capture.url, "extract", "no_article", "no article text found", capture=capture
            )
            return "failed"
        arguments = {"article": article, "capture": capture, "corpus": self.corpus}
        for impl, call in call_each(self.manager.hook.export_article, arguments):
            try:
                call()
            except Exception as exc:
                _report_exception(
                    self.report, capture, "export", impl.plugin_name, "export_article", exc
                )
        if self.on_article is not None:
            self.on_article(article, capture)
        return "article"


def extract_html(html: bytes | str, url: str | None = None) -> Article:
    """Run the default extract-and-clean chain on one page, with no network."""
    body = html.encode("utf-8") if isinstance(html, str) else html
    content_type = "text/html; charset=utf-8" if isinstance(html, str) else "text/html"
    capture = Capture(
        url=url or "",
        status=200,
        headers=(("Content-Type", content_type),),
        body=body,
        fetched_at=datetime.now(UTC).isoformat(),
        warc_file="",
        warc_offset=0,
        warc_length=0,
        warc_record_id="",
        payload_digest=None,
    )
    problem = unusable_body(capture, Limits())
    if problem is not None:
        raise ExtractionError(problem[1])

    def report(url: str, stage: str, kind: str, message: str, **_: Any) -> None:
        log.warning("%s: %s", url or "<html>", message)

    article = run_chain(capture, get_plugin_manager(), report)
    if article is None:
        raise ExtractionError("no article text found")
    return replace(article, url=url or article.url)
