"""``extract`` over processes or a Dask cluster: chunks of WARC records as tasks, shards merged.

A crawl writes one WARC file until it holds a gigabyte, so a task per file
would leave all workers but one idle. A task reads a chunk instead: the
records of a file from one capture's offset to another's (each record of a
gzip WARC is a gzip member of its own, readable from its offset). Three
passes keep what one process does, templates learned from every page before
any article is cleaned:

0. Planning: a task per file, or per part of a large file, reads its record
   headers only, for where each capture starts and which payload it holds
   (``find_places``). The parent cuts the files into about
   ``CHUNKS_PER_WORKER`` chunks per worker in all (a slow chunk leaves no
   worker idle for long), of ``MIN_CHUNK_CAPTURES`` captures or more.
1. Learning: a task reads one chunk and keeps each HTML page's template
   blocks, and what the processing path extracts from each capture before
   cleaning (``Processor.prepare``): the costly part, so each page is parsed
   once. The parent counts the pages into the corpus in chunk order, as one
   process would, each chunk as soon as it and those before it are done,
   while the workers go on.
2. Processing: a task copies the learned corpus and runs its chunk through
   the processing path into a shard, cleaning and exporting the articles its
   learning task extracted; the parent merges the shards in chunk order
   (``tearsheet.merge``), again while later chunks are processed. When a
   plugin other than the template cleaner learns, the parent learns from
   every capture itself and the processing tasks extract as well.

In both passes a revisit finds its original in a chunk before its own (the
payloads the plan found) or earlier in its own, as in one process reading
the files in order. Planning stops at a file's first unreadable record, so
a corrupt spot lies in the file's last chunk, which reads to the end of the
file and reports it once.

A task writes its shard under a temporary name and renames it when done, so
a worker that dies leaves no shard to merge, and its chunk is run again. A
chunk that cannot be run at all (workers dying on every try) stops the
extraction: the shards merged before it stay, each whole (none when it
failed in the learning pass), and running the extraction again adds the
rest and places every article into its story.
Workers load the plugins their environment names (``TEARSHEET_*``), as
the parent does; a Dask cluster's workers must see the WARC files and the
corpus's folder at the same paths.
"""

import math
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tearsheet import boilerplate
from tearsheet.archive.atomic import written_whole
from tearsheet.archive.reader import (
    NotAWarcError,
    PayloadIndex,
    ReadProblem,
    places_between,
    read_captures,
    record_start_after,
)
from tearsheet.boilerplate import capture_walk, create_kept_tables, keep_page, site_of
from tearsheet.cleaning import template
from tearsheet.corpus import Corpus
from tearsheet.extraction import ExtractReport, extract_file, learn_all
from tearsheet.merge import attached, merge_corpora
from tearsheet.pool import start_fork_server
from tearsheet.prepared import PreparedCaptures, create_prepared_table, keep_prepared
from tearsheet.processing import Limits, Processor, worth_learning

CONNECT_TIMEOUT = 10.0  # seconds to reach a Dask scheduler
LOCAL_RETRIES = 2  # times a chunk is run again after its worker process died
CHUNKS_PER_WORKER = 4  # so that a slow chunk leaves the other workers busy
MIN_CHUNK_CAPTURES = 50  # a task copies the learned corpus, its shard is merged: tens of ms
MIN_PART_BYTES = 16 * 1024 * 1024  # a smaller file is planned whole: about half a second

T = TypeVar("T")


class ParallelError(RuntimeError):
    """Parallel extraction cannot start or cannot finish (no Dask, a dead cluster)."""


@dataclass(frozen=True)
class Chunk:
    """The records of a WARC file from offset ``start`` to ``end`` (None: the file's end)."""

    path: Path
    start: int = 0
    end: int | None = None


@dataclass
class Plan:
    """The chunks in file-and-offset order, and where each payload was first archived.

    ``origins`` maps a payload digest to (chunk index, file, offset).
    """

    chunks: list[Chunk] = field(default_factory=list)
    origins: dict[str, tuple[int, Path, int]] = field(default_factory=dict)


@dataclass
class ChunkResult:
    """What processing one chunk into its shard counted and could not read."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[ReadProblem] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)


class Runner(Protocol):
    @property
    def workers(self) -> int:
        """How many tasks it runs at once."""
        ...

    def run(
        self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        """Run ``function(*task)`` for every task; yield (task index, result) as each ends."""
        ...


class LocalRunner:
    """Tasks in a pool of local processes; a task whose process died is run again."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(
        self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        pending = dict(enumerate(tasks))
        for _ in range(LOCAL_RETRIES + 1):
            if not pending:
                return
            try:
                with _process_pool(min(self.workers, len(pending))) as pool:
                    futures = {pool.submit(function, *task): i for i, task in pending.items()}
                    for future in as_completed(futures):
                        index = futures[future]
                        result = future.result()
                        del pending[index]
                        yield index, result
                return
            except BrokenProcessPool:
                continue  # the pool is gone with the process; the unfinished tasks go again
        raise ParallelError(f"worker processes died {LOCAL_RETRIES + 1} times; gave up")


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """Workers forked from this process, quick to start, unless it runs other threads.

    Forked from a process with threads (a notebook's kernel, a test
    runner), a worker can inherit a lock another thread held and hang on
    its first log line. The workers then come from the fork server
    (``tearsheet.pool``: one thread, the processing path imported), each
    with this process's environment as it is now, as a forked one has.
    """
    if threading.active_count() == 1:
        return ProcessPoolExecutor(workers, multiprocessing.get_context("fork"))
    start_fork_server()
    return ProcessPoolExecutor(
        workers,
        multiprocessing.get_context("forkserver"),
        initializer=_use_environment,
        initargs=(dict(os.environ),),
    )


def _use_environment(environment: dict[str, str]) -> None:
    """A worker's environment made the one its pool was started from."""
    os.environ.clear()
    os.environ.update(environment)


class DaskRunner:
    """Tasks on a Dask cluster; its scheduler runs a dead worker's task again."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def workers(self) -> int:
        """The cluster's worker threads, as it has them now."""
        return sum(self.client.nthreads().values()) or 1

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
                raise ParallelError(f"Dask workers died on every try at a task: {exc}") from exc
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
) -> tuple[list[ChunkResult], list[str]]:
    """Plan chunks of every file, learn from them, then process them in tasks; merge the shards.

    Returns each chunk's result (in chunk order) and the merge's problems.
    """
    folder = Path(tempfile.mkdtemp(prefix=f".{corpus.path.name}.", dir=corpus.path.parent))
    try:
        plan = plan_chunks(files, find_places(files, runner), runner.workers)
        payloads = _write_origins(plan, folder / "payloads.db")
        learned, prepared = _learn(
            plan.chunks, files, corpus, processor, runner, folder, payloads, limits
        )
        tasks = [
            (chunk, index, payloads, learned, folder / f"{index:05d}.db", limits, prepared[index])
            for index, chunk in enumerate(plan.chunks)
        ]
        results: list[ChunkResult] = []
        unfinished = Counter(chunk.path for chunk in plan.chunks)

        def finished_shards() -> Iterator[Path]:
            for index, result in in_task_order(runner.run(extract_task, tasks)):
                results.append(result)
                path = plan.chunks[index].path
                unfinished[path] -= 1
                if on_file is not None and not unfinished[path]:
                    on_file(path)
                if prepared[index] is not None:
                    prepared[index].unlink()  # its captures are processed: disk back early
                yield tasks[index][4]

        merged = merge_corpora(finished_shards(), corpus.path, processor.manager)
        return results, merged.problems
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def in_task_order(finished: Iterator[tuple[int, T]]) -> Iterator[tuple[int, T]]:
    """Tasks' results in task order, each as soon as it and every one before it are done.

    The parent counts a chunk's pages or merges its shard while the workers
    run later chunks, in the order one process would have read them.
    """
    waiting: dict[int, T] = {}
    following = 0
    for index, result in finished:
        waiting[index] = result
        while following in waiting:
            yield following, waiting.pop(following)
            following += 1


def find_places(files: list[Path], runner: Runner) -> list[list[tuple[int, str | None]]]:
    """Each file's ``capture_places``, read in tasks side by side, a large file in parts.

    A crawl's file holds a gigabyte, half a minute of reading for one worker
    while the others wait; its parts are cut where a record seems to start
    (``record_start_after``). A part's reading that does not end right where
    the next part starts shows a wrong cut (a lookalike inside a record):
    the file is then read on from where that part stopped, and the parts
    after it are left out. A part that breaks off ends its file's places,
    as one reading of the whole file would.
    """
    parts = file_parts(files, runner.workers)
    found = dict(runner.run(places_between, [(files[i], start, end) for i, start, end in parts]))
    places: list[list[tuple[int, str | None]]] = [[] for _ in files]
    finished: set[int] = set()
    for index, (file, _, end) in enumerate(parts):
        if file in finished:
            continue
        part, stop = found[index]
        places[file].extend(part)
        if end is not None and stop == end:
            continue  # the next part starts where this one stopped
        if stop is not None:  # the cut was inside a record: read on from the record after it
            places[file].extend(places_between(files[file], stop)[0])
        finished.add(file)
    return places


def file_parts(files: list[Path], workers: int) -> list[tuple[int, int, int | None]]:
    """Each file (by index) cut into parts for planning, about ``workers`` parts in all.

    A file gets parts by its share of all the bytes, each of
    ``MIN_PART_BYTES`` or more: many files are planned a file a task.
    """
    sizes = [_size(path) for path in files]
    total = sum(sizes) or 1
    parts: list[tuple[int, int, int | None]] = []
    for file, (path, size) in enumerate(zip(files, sizes, strict=True)):
        count = max(1, min(round(workers * size / total), size // MIN_PART_BYTES))
        cuts = [0]
        for part in range(1, count):  # each cut looked for in its own stretch of the file
            found = _cut(path, size * part // count, size * (part + 1) // count)
            if found is not None and found > cuts[-1]:
                cuts.append(found)
        ends: list[int | None] = [*cuts[1:], None]
        parts.extend((file, start, end) for start, end in zip(cuts, ends, strict=True))
    return parts


def _cut(path: Path, offset: int, end: int) -> int | None:
    try:
        return record_start_after(path, offset, end)
    except OSError:
        return None  # planned whole: reading it says what is wrong


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # planned whole: reading it says what is wrong


def plan_chunks(
    files: list[Path], places: list[list[tuple[int, str | None]]], workers: int
) -> Plan:
    """Cut each file at captures into chunks of about equal numbers of captures.

    ``places`` are each file's ``capture_places``. About ``CHUNKS_PER_WORKER``
    chunks per worker in all, a multiple of the workers when there are few
    (so the last round of tasks ends together), and ``MIN_CHUNK_CAPTURES``
    captures in a chunk at least: a small archive is not cut into tasks that
    cost more to start than to run. Each file is one chunk at least (a file
    without places, unreadable or an ARC file, is one).
    """
    plan = Plan()
    total = sum(map(len, places))
    wanted = min(CHUNKS_PER_WORKER * workers, total // MIN_CHUNK_CAPTURES)
    if wanted > workers:
        wanted -= wanted % workers
    size = max(MIN_CHUNK_CAPTURES, math.ceil(total / max(wanted, 1)))
    for path, found in zip(files, places, strict=True):
        count = max(1, min(round(len(found) / size), len(found) // MIN_CHUNK_CAPTURES))
        cuts = [len(found) * i // count for i in range(count + 1)]
        for first, after in zip(cuts, cuts[1:], strict=False):
            start = found[first][0] if first else 0
            end = found[after][0] if after < len(found) else None
            for offset, digest in found[first:after]:
                if digest:
                    plan.origins.setdefault(digest, (len(plan.chunks), path, offset))
            plan.chunks.append(Chunk(path, start, end))
    return plan


def _write_origins(plan: Plan, path: Path) -> Path:
    """The plan's payload origins in a database that every task reads the ones it needs from."""
    connection = sqlite3.connect(str(path))
    try:
        connection.execute(
            "create table payload_origins (chunk integer, digest text, path text, offset integer)"
        )
        connection.executemany(
            "insert into payload_origins values (?, ?, ?, ?)",
            [
                (chunk, digest, str(file), offset)
                for digest, (chunk, file, offset) in plan.origins.items()
            ],
        )
        connection.execute("create index payload_origins_chunk on payload_origins (chunk)")
        connection.commit()
    finally:
        connection.close()
    return path


def _payloads_before(payloads: Path, index: int) -> PayloadIndex:
    """The payloads archived in the chunks before chunk ``index``."""
    found = PayloadIndex()
    connection = sqlite3.connect(f"{payloads.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "select digest, path, offset from payload_origins where chunk < ?", [index]
        )
        for digest, path, offset in rows:
            found.remember(digest, Path(path), offset)
    finally:
        connection.close()
    return found


def _learn(
    chunks: list[Chunk],
    files: list[Path],
    corpus: Corpus,
    processor: Processor,
    runner: Runner,
    folder: Path,
    payloads: Path,
    limits: Limits,
) -> tuple[Path, list[Path | None]]:
    """The learning pass.

    Returns the learned corpus that every processing task starts from, and
    for each chunk the learning task's shard holding its captures prepared
    (None where the processing task extracts them itself).
    """
    learners = {impl.plugin for impl in processor.manager.hook.learn_capture.get_hookimpls()}
    prepared: list[Path | None] = [None] * len(chunks)
    if learners == {template}:  # only the template cleaner learns: from the tasks' blocks
        tasks = [
            (chunk, index, payloads, folder / f"learn-{index:05d}.db", limits)
            for index, chunk in enumerate(chunks)
        ]
        for index, shard in in_task_order(runner.run(learn_task, tasks)):
            _count_learned_pages(shard, corpus)
            prepared[index] = shard
    elif learners:  # another plugin learns: it sees every capture, here
        learn_all(files, processor)
    learned = folder / "learned.db"
    copy = sqlite3.connect(str(learned))
    try:
        corpus.db.conn.backup(copy)
    finally:
        copy.close()
    return learned, prepared


def _count_learned_pages(shard: Path, corpus: Corpus) -> None:
    """Count a learning task's pages into the corpus, as learning from them here would."""
    with attached(corpus.db, shard) as name, corpus.transaction():
        boilerplate.count_kept_pages(corpus.db, name)


def learn_task(chunk: Chunk, index: int, payloads: Path, shard: Path, limits: Limits) -> Path:
    """Task: a chunk's captures prepared, by record id, and the template blocks of its pages.

    Blocks are kept by URL for the pages ``Processor.learn`` shows. Each
    page is parsed once for both.
    """
    with written_whole(shard) as temp:
        corpus = Corpus(temp)
        try:
            processor = Processor(corpus, None, limits)
            connection = corpus.db.conn
            create_kept_tables(connection)
            create_prepared_table(connection)
            seen: set[str] = set()
            captures = read_captures(
                chunk.path, None, _payloads_before(payloads, index), None, chunk.start, chunk.end
            )
            try:
                for capture in captures:
                    learnable = worth_learning(capture, limits) and boilerplate.learnable(capture)
                    if capture.url not in seen and learnable:
                        seen.add(capture.url)
                        blocks = capture_walk(capture).blocks
                        keep_page(connection, site_of(capture.url), capture.url, blocks)
                    keep_prepared(connection, capture.warc_record_id, processor.prepare(capture))
                    capture.forget_page()
            except (NotAWarcError, OSError):
                pass  # the processing pass reports the file
            connection.commit()
        finally:
            corpus.close()
    return shard


def extract_task(
    chunk: Chunk,
    index: int,
    payloads: Path,
    learned: Path,
    shard: Path,
    limits: Limits,
    prepared_in: Path | None = None,
) -> ChunkResult:
    """Task: run one chunk through the processing path into its own shard.

    ``prepared_in`` is the chunk's learning shard, whose prepared captures
    are cleaned and exported without being extracted again.
    """
    with written_whole(shard) as temp:
        shutil.copyfile(learned, temp)
        corpus = Corpus(temp, for_merge=True)
        kept = PreparedCaptures(prepared_in) if prepared_in else None
        try:
            processor = Processor(corpus, None, limits)
            report = ExtractReport()
            before = _payloads_before(payloads, index)
            extract_file(chunk.path, processor, report, before, chunk.start, chunk.end, kept)
        finally:
            if kept is not None:
                kept.close()
            corpus.close()
    return ChunkResult(processor.counts, report.problems, report.passed_over)
