"""``extract`` spread over processes or a Dask cluster: one task per WARC file, shards merged.

Two passes keep what one process does, templates learned from every page
before any article is cleaned:

1. Learning: a task reads one WARC file and keeps each HTML page's template
   blocks (the costly part: parsing the page) and where each payload is (so
   a revisit in a later file finds its original). The parent counts the
   pages into the corpus in file order, as one process would.
2. Processing: a task copies the learned corpus and runs its file through
   the processing path into a shard; the parent merges the shards in file
   order (``tearsheet.merge``).

A task writes its shard under a temporary name and renames it when done, so
a worker that dies leaves no shard to merge, and its file is run again.
Workers load the plugins their environment names (``TEARSHEET_*``), as
the parent does; a Dask cluster's workers must see the WARC files and the
corpus's folder at the same paths.
"""

import json
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tearsheet import boilerplate
from tearsheet.archive.atomic import written_whole
from tearsheet.archive.reader import NotAWarcError, PayloadIndex, ReadProblem, read_captures
from tearsheet.cleaning import template
from tearsheet.corpus import Corpus
from tearsheet.extraction import ExtractReport, extract_file, learn_all
from tearsheet.merge import merge_corpora
from tearsheet.processing import Limits, Processor

CONNECT_TIMEOUT = 10.0  # seconds to reach a Dask scheduler
LOCAL_RETRIES = 2  # times a file is run again after its worker process died


class ParallelError(RuntimeError):
    """Parallel extraction cannot start or cannot finish (no Dask, a dead cluster)."""


@dataclass
class FileResult:
    """What processing one WARC file into its shard counted and could not read."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[ReadProblem] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)


class Runner(Protocol):
    def run(
        self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        """Run ``function(*task)`` for every task; yield (task index, result) as each ends."""
        ...


class LocalRunner:
    """Tasks in a pool of local processes; a file whose process died is run again."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(
        self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        pending = dict(enumerate(tasks))
        for _ in range(LOCAL_RETRIES + 1):
            try:
                with ProcessPoolExecutor(min(self.workers, len(pending))) as pool:
                    futures = {pool.submit(function, *task): i for i, task in pending.items()}
                    for future in as_completed(futures):
                        index = futures[future]
                        result = future.result()
                        del pending[index]
                        yield index, result
                return
            except BrokenProcessPool:
                continue  # the pool is gone with the process; the unfinished files go again
        raise ParallelError(f"worker processes died {LOCAL_RETRIES + 1} times; gave up")


class DaskRunner:
    """Tasks on a Dask cluster; its scheduler runs a dead worker's task again."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def run(
        self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_completed
        from distributed.scheduler import KilledWorker

        futures = {
            self.client.submit(function, *task, pure=False): i for i, task in enumerate(tasks)
        }
        for future in dask_completed(futures):
            try:
                result = future.result()
            except KilledWorker as exc:
                raise ParallelError(f"Dask workers died on every try at a file: {exc}") from exc
            yield futures[future], result


@contextmanager
def dask_runner(address: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[DaskRunner]:
    """Connect to the Dask scheduler at ``address`` for the length of the block."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ParallelError("--dask needs dask.distributed: pip install 'tearsheet[dask]'") from exc
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise ParallelError(f"cannot reach the Dask scheduler at {address}: {reason}") from exc
    with client:
        yield DaskRunner(client)


def runner_for(workers: int, dask: str | None) -> AbstractContextManager[Runner]:
    """Processes on this machine, or the Dask cluster at ``dask``."""
    return dask_runner(dask) if dask else nullcontext(LocalRunner(workers))


def extract_in_shards(
    files: list[Path],
    corpus: Corpus,
    processor: Processor,
    runner: Runner,
    limits: Limits,
    on_file: Callable[[Path], None] | None = None,
) -> tuple[list[FileResult], list[str]]:
    """Learn from, then process, every file in tasks; merge their shards into ``corpus``.

    Returns each file's result (in file order) and the merge's problems.
    """
    folder = Path(tempfile.mkdtemp(prefix=f".{corpus.path.name}.", dir=corpus.path.parent))
    try:
        learned = _learn(files, corpus, processor, runner, folder)
        tasks = [
            (path, index, learned, folder / f"{index:05d}.db", limits)
            for index, path in enumerate(files)
        ]
        results: list[FileResult | None] = [None] * len(files)
        for index, result in runner.run(extract_task, tasks):
            results[index] = result
            if on_file is not None:
                on_file(files[index])
        merged = merge_corpora([task[3] for task in tasks], corpus.path, processor.manager)
        return [r for r in results if r is not None], merged.problems
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _learn(
    files: list[Path], corpus: Corpus, processor: Processor, runner: Runner, folder: Path
) -> Path:
    """The learning pass; returns the learned corpus that every processing task starts from."""
    learners = {impl.plugin for impl in processor.manager.hook.learn_capture.get_hookimpls()}
    replay = learners == {template}  # only the template cleaner learns: from the tasks' blocks
    tasks = [(path, folder / f"learn-{i:05d}.db", replay) for i, path in enumerate(files)]
    shards: list[Path | None] = [None] * len(files)
    for index, shard in runner.run(learn_task, tasks):
        shards[index] = shard
    origins = []
    for index, (path, shard) in enumerate(zip(files, shards, strict=True)):
        connection = sqlite3.connect(str(shard))
        try:
            for digest, offset in connection.execute("select digest, offset from payloads"):
                origins.append((index, digest, str(path), offset))
            if replay:
                with corpus.transaction():
                    for site, url, blocks in connection.execute(
                        "select site, url, blocks from pages"
                    ):
                        page = {(place, text) for place, text in json.loads(blocks)}
                        boilerplate.learn_page(corpus.db, site, url, page)
        finally:
            connection.close()
    if learners and not replay:  # another plugin learns: it sees every capture, here
        learn_all(files, processor)
    learned = folder / "learned.db"
    copy = sqlite3.connect(str(learned))
    try:
        corpus.db.conn.backup(copy)
        copy.execute(
            "create table payload_origins (file integer, digest text, path text, offset integer)"
        )
        copy.executemany("insert into payload_origins values (?, ?, ?, ?)", origins)
        copy.commit()
    finally:
        copy.close()
    return learned


def learn_task(path: Path, shard: Path, blocks: bool) -> Path:
    """Task: one file's payload locations and, with ``blocks``, its pages' template blocks."""
    with written_whole(shard) as temp:
        connection = sqlite3.connect(str(temp))
        try:
            connection.execute("create table pages (site text, url text, blocks text)")
            connection.execute("create table payloads (digest text, offset integer)")
            seen: set[str] = set()
            try:
                for capture in read_captures(path, None, PayloadIndex()):
                    if capture.record_type == "response" and capture.payload_digest:
                        connection.execute(
                            "insert into payloads values (?, ?)",
                            [capture.payload_digest, capture.warc_offset],
                        )
                    if blocks and capture.url not in seen and boilerplate.learnable(capture):
                        seen.add(capture.url)
                        found = sorted(boilerplate.page_blocks(capture.page))
                        connection.execute(
                            "insert into pages values (?, ?, ?)",
                            [boilerplate.site_of(capture.url), capture.url, json.dumps(found)],
                        )
            except (NotAWarcError, OSError):
                pass  # the processing pass reports the file
            connection.commit()
        finally:
            connection.close()
    return shard


def extract_task(path: Path, index: int, learned: Path, shard: Path, limits: Limits) -> FileResult:
    """Task: run one WARC file through the processing path into its own shard."""
    with written_whole(shard) as temp:
        shutil.copyfile(learned, temp)
        corpus = Corpus(temp)
        try:
            payloads = PayloadIndex()
            rows = corpus.db.execute(
                "select digest, path, offset from payload_origins where file < ? order by file",
                [index],
            )
            for digest, origin, offset in rows.fetchall():
                payloads.remember(digest, Path(origin), offset)
            processor = Processor(corpus, None, limits)
            report = ExtractReport()
            extract_file(path, processor, report, payloads)
        finally:
            corpus.close()
    return FileResult(processor.counts, report.problems, report.passed_over)
