"""Rebuilding a corpus from WARC files alone (``tearsheet extract``)."""

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from tearsheet.archive import Capture
from tearsheet.archive.files import warc_files
from tearsheet.archive.reader import NotAWarcError, PayloadIndex, ReadProblem, read_captures
from tearsheet.corpus import Corpus
from tearsheet.prepared import PreparedCaptures, create_prepared_table, keep_prepared
from tearsheet.processing import Limits, PreparedLookup, Processor

BATCH_SIZE = 16  # captures whose rows are written in one transaction
BATCH_BYTES = 4 * 1024 * 1024  # or fewer, once their bodies hold this much


@dataclass
class ExtractReport:
    """What an extraction did: counts by outcome and the files it could not use."""

    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[ReadProblem] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems


def extract_warcs(
    paths: Iterable[Path],
    corpus_path: Path,
    manager: pluggy.PluginManager | None = None,
    limits: Limits | None = None,
    on_file: Callable[[Path], None] | None = None,
    workers: int = 1,
    dask: str | None = None,
) -> ExtractReport:
    """Run every response record of the given WARC files through the processing path.

    Unreadable files are reported by name and skipped; the records read
    before a corrupt spot in a file are still processed. With ``workers``
    above 1 or a Dask scheduler's address in ``dask``, chunks of the files'
    records are tasks of their own (``tearsheet.shards``), so one large file
    keeps every worker busy, and the rows are those of one process;
    ``on_file`` is then called as each file's last chunk is done. Tasks load
    the plugins their environment names, not ``manager``'s.
    """
    paths = list(paths)
    files = warc_files(paths)
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, not {workers}")
    parallel = bool(dask) or (workers > 1 and bool(files))
    report = ExtractReport(files=len(files))
    limits = limits or Limits()
    with _runner(parallel, workers, dask) as runner:
        corpus = Corpus(corpus_path)
        try:
            processor = Processor(corpus, manager, limits)
            run_id = corpus.start_run("extract", {"warcs": [str(p) for p in paths]})
            if runner is not None:
                _extract_in_shards(files, corpus, processor, runner, limits, on_file, report)
            else:
                _extract_here(files, processor, on_file, report)
            passed_over = {f"passed_over:{kind}": n for kind, n in report.passed_over.items()}
            corpus.finish_run(run_id, {**report.counts, **passed_over, "files": report.files})
        finally:
            corpus.close()
    return report


def _runner(parallel: bool, workers: int, dask: str | None) -> AbstractContextManager[Any]:
    """Where tasks run (connected before the corpus is touched), or None."""
    if not parallel:
        return nullcontext(None)
    from tearsheet.shards import runner_for

    return runner_for(workers, dask)


def _extract_in_shards(
    files: list[Path],
    corpus: Corpus,
    processor: Processor,
    runner: Any,
    limits: Limits,
    on_file: Callable[[Path], None] | None,
    report: ExtractReport,
) -> None:
    from tearsheet.shards import extract_in_shards

    results, merge_problems = extract_in_shards(files, corpus, processor, runner, limits, on_file)
    counts: Counter[str] = Counter(processor.counts)
    for result in results:
        counts.update(result.counts)
        report.problems.extend(result.problems)
        report.passed_over.update(result.passed_over)
    report.counts = dict(counts)
    report.problems.extend(ReadProblem("", None, problem) for problem in merge_problems)


def _extract_here(
    files: list[Path],
    processor: Processor,
    on_file: Callable[[Path], None] | None,
    report: ExtractReport,
) -> None:
    """Both passes in this process: learn and prepare every capture, then clean and store."""
    corpus_path = processor.corpus.path
    with tempfile.TemporaryDirectory(prefix=f".{corpus_path.name}.", dir=corpus_path.parent) as tmp:
        store = Path(tmp) / "prepared.db"
        learn_all(files, processor, store)
        prepared = PreparedCaptures(store)
        try:
            payloads = PayloadIndex()
            for path in files:
                if on_file is not None:
                    on_file(path)
                extract_file(path, processor, report, payloads, prepared=prepared)
        finally:
            prepared.close()
    report.counts = dict(processor.counts)


def learn_all(files: list[Path], processor: Processor, prepare_into: Path | None = None) -> None:
    """Learning plugins see every capture before any article is cleaned.

    A site's template is only known once all its pages were seen; cleaning
    with it from the first page on gives the rows a finished crawl has.
    With ``prepare_into``, each capture is also prepared (``Processor.prepare``)
    into that file while its page is parsed (``tearsheet.prepared``).
    Unreadable files are reported by the processing pass that follows.
    What the learning plugins write (``Corpus.write_soon``) commits in
    batches, and all of it before the first article is cleaned.
    """
    kept = sqlite3.connect(str(prepare_into)) if prepare_into else None
    try:
        if kept is not None:
            create_prepared_table(kept)
        payloads = PayloadIndex()
        with processor.corpus.keeping_writes():
            for path in files:
                try:
                    for capture in read_captures(path, None, payloads):
                        processor.learn(capture)
                        if kept is not None:
                            keep_prepared(kept, capture.warc_record_id, processor.prepare(capture))
                        capture.forget_page()
                except (NotAWarcError, OSError):
                    continue
        if kept is not None:
            kept.commit()
    finally:
        if kept is not None:
            kept.close()


def extract_file(
    path: Path,
    processor: Processor,
    report: ExtractReport,
    payloads: PayloadIndex,
    start: int = 0,
    end: int | None = None,
    prepared: PreparedLookup | None = None,
) -> None:
    """Process a file's captures (from offset ``start`` to ``end``); report what is unreadable.

    ``prepared`` holds, by WARC record id, what ``Processor.prepare`` gave
    for captures extracted already.
    """
    problems: list[ReadProblem] = []
    batch: list[Capture] = []
    held = 0  # bytes of the batch's bodies
    try:
        captures = read_captures(path, problems, payloads, report.passed_over, start, end)
        for capture in captures:
            batch.append(capture)
            held += len(capture.body)
            if len(batch) == BATCH_SIZE or held >= BATCH_BYTES:
                processor.process_batch(batch, prepared)
                batch, held = [], 0
    except NotAWarcError as exc:
        problems.append(ReadProblem(path.name, 0, str(exc)))
    except OSError as exc:
        problems.append(ReadProblem(path.name, None, f"{path}: cannot read: {exc.strerror}"))
    if batch:  # read before the file ended or broke off
        processor.process_batch(batch, prepared)
    for problem in problems:
        processor.report(str(path), "read", "unreadable_warc", problem.message)
    report.problems.extend(problems)
