"""The one processing path: Capture → extract → clean… → export….

A live crawl and ``tearsheet extract`` both call ``Processor.process``;
``extract_html`` runs the same chain on one page without a corpus. Nothing
here imports Scrapy or Twisted.
"""

import logging
import re
import sqlite3
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import pluggy

from tearsheet.archive import Capture
from tearsheet.archive.reader import MAX_DECODED_BODY
from tearsheet.article import Article
from tearsheet.corpus import Corpus, is_busy
from tearsheet.pages import ClassifyRules
from tearsheet.plugins.limits import PluginTimeout, time_limit
from tearsheet.plugins.manager import call_each, get_plugin_manager

log = logging.getLogger(__name__)

DEFAULT_MAX_EXTRACT_BYTES = 10 * 1024 * 1024
DEFAULT_PLUGIN_TIMEOUT = 30.0  # seconds one plugin call may take on one page
BINARY_SNIFF_BYTES = 4096
CONTROL_BYTES = bytes(range(32)).translate(None, b"\t\n\r\f")  # rare in any text
BUSY_ATTEMPTS = 8  # tries of a corpus write that found the database locked
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
    plugin_timeout: float | None = DEFAULT_PLUGIN_TIMEOUT
    page_rules: ClassifyRules | None = None  # a crawl's article and hub URL patterns


def unusable_body(capture: Capture, limits: Limits) -> tuple[str, str] | None:
    """Why a body cannot be extracted, as (kind, message), or None if it can."""
    body = capture.body
    if capture.blank:
        return "empty_body", "the response body is empty"
    if len(body) > limits.max_extract_bytes:
        size = (
            f"more than {MAX_DECODED_BODY:,}" if len(body) > MAX_DECODED_BODY else f"{len(body):,}"
        )
        return (
            "too_large",
            f"body of {size} bytes is over the {limits.max_extract_bytes:,}-byte limit",
        )
    head = body[:BINARY_SNIFF_BYTES]
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    if (
        b"\x00" in head
        and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
        or controls > len(head) // 10
    ):
        return "binary_body", "the body is binary data, not text, though labelled HTML"
    return None


def worth_learning(capture: Capture, limits: Limits) -> bool:
    """Whether learning plugins see a capture.

    A partial, huge or binary body would teach them nothing, slowly.
    """
    return not capture.truncated and unusable_body(capture, limits) is None


def undecodable_bytes(capture: Capture) -> str | None:
    """Say where the body breaks its own charset; the text keeps U+FFFD there."""
    encoding = capture.encoding_and_text[0]
    try:
        capture.body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        return f"bytes not valid {encoding} at offset {start}; replaced with U+FFFD"
    return None


class PluginCalls:
    """Calls each implementation of a hook in turn, as the processing path needs.

    A plugin that raises or runs past the time limit is recorded (plugin,
    hook, URL, traceback) and skipped; the others still run.
    """

    def __init__(
        self, manager: pluggy.PluginManager, report: ErrorReport, timeout: float | None
    ) -> None:
        self.manager = manager
        self.report = report
        self.timeout = timeout

    def results(
        self, hook: str, stage: str, arguments: dict[str, Any], capture: Capture | None = None
    ) -> Iterator[Any]:
        """Yield each implementation's result; ``arguments`` is read afresh for each call."""
        url = capture.url if capture else ""
        for impl, call in call_each(getattr(self.manager.hook, hook), arguments):
            plugin = impl.plugin_name
            try:
                with time_limit(self.timeout):
                    result = call()
            except sqlite3.OperationalError as exc:
                if is_busy(exc):
                    raise  # the corpus, not the plugin: the batch is written again
                self._report_raised(url, stage, plugin, hook, exc, capture)
                continue
            except PluginTimeout as exc:
                message = f"plugin {plugin!r} {exc} in {hook} and was cut off"
                self.report(
                    url, stage, "plugin_timeout", message, capture=capture, plugin=plugin, hook=hook
                )
                continue
            except Exception as exc:
                self._report_raised(url, stage, plugin, hook, exc, capture)
                continue
            yield result

    def _report_raised(
        self,
        url: str,
        stage: str,
        plugin: str,
        hook: str,
        exc: Exception,
        capture: Capture | None,
    ) -> None:
        message = f"plugin {plugin!r} raised in {hook}: {type(exc).__name__}: {exc}"
        self.report(
            url,
            stage,
            "plugin_error",
            message,
            capture=capture,
            plugin=plugin,
            hook=hook,
            traceback=traceback.format_exc(),
        )


# An error row as reported while a page was prepared: url, stage, kind, message,
# the other details, and whether it names the capture.
PreparedReport = tuple[str, str, str, str, dict[str, Any], bool]


@dataclass
class Prepared:
    """What a capture gave before cleaning: its outcome, the article extracted, the errors met.

    The part of the chain that needs the parsed page and no corpus
    (``Processor.prepare``), so ``extract --workers`` does it while site
    templates are still being learned, parsing each page once; cleaning and
    export follow once every template is known. Pickled between the two.
    """

    outcome: str
    article: Article | None = None
    reports: list[PreparedReport] = field(default_factory=list)


class PreparedLookup(Protocol):
    """Where captures prepared in an earlier pass are found by WARC record id (a dict will do)."""

    def get(self, record_id: str, /) -> Prepared | None: ...


def retry_when_busy(write: Callable[[], Any], attempts: int = BUSY_ATTEMPTS) -> Any:
    """Run a corpus write again when another process held the database.

    The busy timeout covers most waits, but SQLite refuses at once a
    transaction whose snapshot another writer made stale; the writes here
    are upserts, so doing them again is safe.
    """
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == attempts:
                raise
            log.info("corpus busy (%s); writing again, attempt %d", exc, attempt + 1)
            time.sleep(0.1 * attempt)
    return None


def run_chain(
    capture: Capture,
    manager: pluggy.PluginManager,
    report: ErrorReport,
    corpus: Corpus | None = None,
    timeout: float | None = DEFAULT_PLUGIN_TIMEOUT,
) -> Article | None:
    """Extract an article from a capture and pass it through every cleaner in turn."""
    return _chain(capture, PluginCalls(manager, report, timeout), corpus)


def _chain(capture: Capture, calls: PluginCalls, corpus: Corpus | None) -> Article | None:
    article = _extracted(capture, calls)
    return None if article is None else _cleaned(article, capture, calls, corpus)


def _extracted(capture: Capture, calls: PluginCalls) -> Article | None:
    """The first extractor's article that has a word in it."""
    return next(
        (
            found
            for found in calls.results("extract_article", "extract", {"capture": capture}, capture)
            if found is not None and WORD.search(found.text)
        ),
        None,
    )


def _cleaned(
    article: Article, capture: Capture, calls: PluginCalls, corpus: Corpus | None
) -> Article:
    """The article after every cleaner in turn; a cleaner returning None changed it in place."""
    arguments = {"article": article, "capture": capture, "corpus": corpus}
    for cleaned in calls.results("clean_article", "clean", arguments, capture):
        if cleaned is not None:
            arguments["article"] = cleaned
    return arguments["article"]


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
        self.calls = PluginCalls(self.manager, self.report, self.limits.plugin_timeout)
        # Error rows reported while a batch is extracted, written with its rows.
        self._deferred: list[tuple[str, str, str, str, dict[str, Any]]] | None = None
        # Error rows reported while a capture is prepared, kept with what it gave.
        self._collected: list[PreparedReport] | None = None
        for _ in self.calls.results("prepare_corpus", "prepare", {"db": corpus.db}):
            pass

    def learn(self, capture: Capture) -> None:
        """Let learning plugins see a capture before articles are extracted from it."""
        if not worth_learning(capture, self.limits):
            return
        arguments = {"capture": capture, "corpus": self.corpus}
        for _ in self.calls.results("learn_capture", "learn", arguments, capture):
            pass

    def process(self, capture: Capture) -> str:
        """Store the capture and, for an HTML page, its article; return the outcome."""
        return self.process_batch([capture])[0]

    def process_batch(
        self, captures: Sequence[Capture], prepared: PreparedLookup | None = None
    ) -> list[str]:
        """Process several captures, writing their rows in one transaction.

        Extraction and cleaning only read the corpus, so they run before the
        write transaction: another process writing the same corpus waits for
        the writes alone, never for this one's CPU work. Each page is learned
        from and extracted in turn, then its parsed tree freed: a batch of
        large pages holds one tree at a time. ``prepared`` holds what
        ``prepare`` gave for some captures, by WARC record id: those are
        cleaned without being extracted again.
        """
        self._deferred = []
        try:
            results = []
            for capture in captures:
                retry_when_busy(lambda capture=capture: self.learn(capture))
                ready = prepared.get(capture.warc_record_id) if prepared is not None else None
                results.append(self._extract(capture, ready))
                capture.forget_page()
        finally:
            deferred, self._deferred = self._deferred, None

        def write() -> list[str]:
            with self.corpus.transaction():
                for capture in captures:  # first, as error rows refer to them
                    self.corpus.add_capture(capture)
                for url, stage, kind, message, details in deferred:
                    self.corpus.add_error(url, stage, kind, message, **details)
                return [
                    self._export(capture, outcome, article)
                    for capture, (outcome, article) in zip(captures, results, strict=True)
                ]

        outcomes: list[str] = retry_when_busy(write)
        self.counts.update(outcomes)
        return outcomes

    def page_kind(self, capture: Capture) -> str:
        """``article`` or ``hub``: the crawl's URL patterns, then the classify_page hook."""
        rules = self.limits.page_rules
        if rules is not None and (verdict := rules.match(capture.url)) is not None:
            return verdict.kind
        answers = self.calls.results("classify_page", "classify", {"capture": capture}, capture)
        return next((answer for answer in answers if answer is not None), "article")

    def prepare(self, capture: Capture) -> Prepared:
        """Classify the page and extract its article, not yet cleaned; reads no corpus.

        The errors met are kept in what it returns, recorded when the
        capture is processed with it.
        """
        reports: list[PreparedReport] = []
        self._collected = reports
        try:
            outcome, article = self._extract_article(capture)
        finally:
            self._collected = None
        return Prepared(outcome, article, reports)

    def report(self, url: str, stage: str, kind: str, message: str, **details: Any) -> None:
        """Record an error row and a log line (the row waits for the batch's transaction)."""
        if self._collected is not None:
            names_capture = details.pop("capture", None) is not None
            self._collected.append((url, stage, kind, message, details, names_capture))
            return
        log.warning("%s: %s", url, message)
        self.counts["errors"] += 1
        if self._deferred is not None:
            self._deferred.append((url, stage, kind, message, details))
        else:
            self.corpus.add_error(url, stage, kind, message, **details)

    def _extract(
        self, capture: Capture, prepared: Prepared | None = None
    ) -> tuple[str, Article | None]:
        """The outcome for a capture and its cleaned article, if it has one; reads only."""
        prepared = prepared or self.prepare(capture)
        for url, stage, kind, message, details, names_capture in prepared.reports:
            if names_capture:
                details = {**details, "capture": capture}
            self.report(url, stage, kind, message, **details)
        if prepared.article is None:
            return prepared.outcome, None
        return prepared.outcome, _cleaned(prepared.article, capture, self.calls, self.corpus)

    def _extract_article(self, capture: Capture) -> tuple[str, Article | None]:
        """The outcome for a capture and its article before cleaning, if it has one."""
        if not 200 <= capture.status < 300 or not capture.is_html:
            return "skipped", None
        if capture.record_type == "revisit" and not capture.body:
            return "unresolved_revisit", None  # its original is in no WARC given
        if capture.truncated:
            return "truncated", None  # part of a page: the crawl's fetch error says why
        problem = unusable_body(capture, self.limits)
        if problem is not None:
            self.report(capture.url, "extract", problem[0], problem[1], capture=capture)
            return "failed", None
        if self.page_kind(capture) == "hub":
            return "hub", None  # archived; no article row
        decoding = undecodable_bytes(capture)
        if decoding is not None:
            self.report(capture.url, "extract", "undecodable_bytes", decoding, capture=capture)
        article = _extracted(capture, self.calls)
        if article is None:
            self.report(
                capture.url, "extract", "no_article", "no article text found", capture=capture
            )
            return "failed", None
        return "article", article

    def _export(self, capture: Capture, outcome: str, article: Article | None) -> str:
        if article is None:
            return outcome
        arguments = {"article": article, "capture": capture, "corpus": self.corpus}
        for _ in self.calls.results("export_article", "export", arguments, capture):
            pass
        if self.on_article is not None:
            self.on_article(article, capture)
        return outcome


def page_capture(html: bytes | str, url: str | None = None) -> Capture:
    """A capture of one page that no WARC file holds: what ``extract_html`` processes."""
    body = html.encode("utf-8") if isinstance(html, str) else html
    content_type = "text/html; charset=utf-8" if isinstance(html, str) else "text/html"
    return Capture(
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


def extract_html(html: bytes | str, url: str | None = None) -> Article:
    """Run the default extract-and-clean chain on one page, with no network."""
    capture = page_capture(html, url)
    problem = unusable_body(capture, Limits())
    if problem is not None:
        raise ExtractionError(problem[1])

    def report(url: str, stage: str, kind: str, message: str, **_: Any) -> None:
        log.warning("%s: %s", url or "<html>", message)

    article = run_chain(capture, get_plugin_manager(), report)
    if article is None:
        raise ExtractionError("no article text found")
    return replace(article, url=url or article.url)
