"""Captures processed in worker processes, so a crawl's fetching never waits on extraction.

Extraction and cleaning are CPU-bound; the crawl process only fetches and
writes WARC records. Captures go to the workers in batches; each worker
keeps its own ``Processor`` (plugins and a connection to the same corpus)
and writes a batch's rows in one transaction. Nothing here imports Scrapy
or Twisted.
"""

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from tearsheet.archive import Capture
from tearsheet.corpus import Corpus
from tearsheet.memory import MemoryTrimmer
from tearsheet.plugins.manager import PluginChoice, new_plugin_manager
from tearsheet.processing import Limits, Processor

log = logging.getLogger(__name__)

BATCH_SIZE = 8  # captures per task: one transaction in the worker
BATCHES_PER_WORKER = 2  # full batches pending per worker before the crawl is asked to wait
# Pages range from kilobytes to megabytes: bounds in bytes too, so a run of
# large pages neither fills the crawl process nor makes a worker's batch large.
BATCH_BYTES = 2 * 1024 * 1024  # a batch is sent once its bodies reach this many bytes
PENDING_BYTES_PER_WORKER = 4 * 1024 * 1024  # bodies pending per worker before the crawl waits
PART_FILLED_SECONDS = 1.0  # longest a capture waits for its batch to fill
PARENT_CHECK_SECONDS = 1.0

# Imported once by the fork server, so each worker starts with them loaded
# (trafilatura too: the extractor imports it on its first page).
PRELOAD = [
    "trafilatura",
    "tearsheet.pool",
    "tearsheet.plugins.default.trafilatura_extractor",
    "tearsheet.plugins.default.stories",
    "tearsheet.cleaning",
]

_processor: Processor | None = None
_trim_memory = MemoryTrimmer()


def start_fork_server() -> None:
    """Start the fork server now, so that its imports overlap the crawl's own start-up."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    multiprocessing.forkserver.ensure_running()


def default_workers() -> int:
    """One worker per core the process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _start_worker(corpus_path: Path, limits: Limits, choice: PluginChoice, crawl_pid: int) -> None:
    global _processor
    # Ctrl-C reaches the whole process group; the crawl stops and drains us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(crawl_pid,), daemon=True).start()
    _processor = Processor(Corpus(corpus_path), new_plugin_manager(choice), limits)


def _end_with(crawl_pid: int) -> None:
    """Exit once the crawl process is gone (killed with SIGKILL, say).

    A worker would otherwise wait for work forever, holding the corpus
    open; a batch it was writing is rolled back, and the frontier still
    lists its records for the next crawl.
    """
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        try:
            os.kill(crawl_pid, 0)
        except ProcessLookupError:
            os._exit(0)


def _start_workers(executor: ProcessPoolExecutor, workers: int) -> None:
    """Have the executor start its workers (each start waits until the fork server has imported)."""
    try:
        for _ in range(workers):
            executor.submit(default_workers)
    except RuntimeError:
        pass  # shut down before its workers started: nothing to start


def _process_batch(captures: list[Capture]) -> Counter[str]:
    """Process a batch in a worker; return the outcome counts it added."""
    if _processor is None:
        raise RuntimeError("worker process was not initialised")
    before = Counter(_processor.counts)
    _processor.process_batch(captures)
    _trim_memory()  # parsed pages freed: give their pages back
    after = Counter(_processor.counts)
    after.subtract(before)
    return +after


def _body_bytes(captures: list[Capture]) -> int:
    return sum(len(capture.body) for capture in captures)


@dataclass
class Batch:
    """A task sent to the workers and where its captures are in the WARC files."""

    future: Future[Counter[str]]
    records: list[tuple[str, int]]
    size: int  # bytes of its captures' bodies


@dataclass
class Finished:
    """Batches that ended since last asked: their records, and those a dead worker lost."""

    processed: list[tuple[str, int]] = field(default_factory=list)
    lost: list[tuple[str, int]] = field(default_factory=list)


class ProcessingPool:
    """Worker processes sized to the cores, with a bounded number of queued batches.

    ``full`` tells the caller to stop handing in captures until ``finished``
    has collected some; so memory stays bounded whatever the fetch rate. The
    bound is in captures and in bytes of their bodies, whichever comes first:
    each pending body is held here and, until a worker takes it, pickled too.
    """

    def __init__(
        self,
        corpus_path: Path,
        limits: Limits,
        choice: PluginChoice,
        workers: int,
        batch_size: int = BATCH_SIZE,
        batch_bytes: int = BATCH_BYTES,
        max_pending_bytes: int | None = None,
    ) -> None:
        self.arguments = (Path(corpus_path), limits, choice, os.getpid())
        self.workers = workers
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.max_pending = workers * BATCHES_PER_WORKER * batch_size
        self.max_pending_bytes = max_pending_bytes or workers * PENDING_BYTES_PER_WORKER
        self.counts: Counter[str] = Counter()
        self.waiting: list[Capture] = []
        self.waiting_since = 0.0
        self.running: list[Batch] = []
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        start_fork_server()  # it imports the processing path once; each worker forks from it
        executor = ProcessPoolExecutor(
            self.workers, context, initializer=_start_worker, initargs=self.arguments
        )
        # Started now, while Scrapy starts: a thread waits for the fork server's imports.
        threading.Thread(target=_start_workers, args=(executor, self.workers), daemon=True).start()
        return executor

    @property
    def pending(self) -> int:
        """Captures handed in and not yet processed."""
        return len(self.waiting) + sum(len(batch.records) for batch in self.running)

    @property
    def pending_bytes(self) -> int:
        """Bytes of the bodies of the captures handed in and not yet processed."""
        return _body_bytes(self.waiting) + sum(batch.size for batch in self.running)

    @property
    def full(self) -> bool:
        return self.pending >= self.max_pending or self.pending_bytes >= self.max_pending_bytes

    def submit(self, capture: Capture) -> None:
        if not self.waiting:
            self.waiting_since = time.monotonic()
        self.waiting.append(capture)
        if len(self.waiting) >= self.batch_size or _body_bytes(self.waiting) >= self.batch_bytes:
            self.flush()

    def send_part_filled(self) -> None:
        """Send a part-filled batch when a worker has nothing to do or it waited long.

        Batches stay full while the workers are busy (a batch is one
        transaction and one round trip), and a slow crawl still sees its
        articles stored within ``PART_FILLED_SECONDS``.
        """
        busy = sum(not batch.future.done() for batch in self.running)
        if busy < self.workers or time.monotonic() - self.waiting_since >= PART_FILLED_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Send the captures waiting for a full batch."""
        if not self.waiting:
            return
        captures, self.waiting = self.waiting, []
        records = [(capture.warc_file, capture.warc_offset) for capture in captures]
        try:
            future = self.executor.submit(_process_batch, captures)
        except BrokenProcessPool:
            future = Future()
            future.set_exception(BrokenProcessPool("the worker pool had broken"))
        self.running.append(Batch(future, records, _body_bytes(captures)))

    def finished(self) -> Finished:
        """Collect the batches that ended, without waiting."""
        done = Finished()
        for batch in [batch for batch in self.running if batch.future.done()]:
            self.running.remove(batch)
            self._collect(batch, done)
        return done

    def drain(self) -> Finished:
        """Send what waits and wait for every batch to end."""
        self.flush()
        done = Finished()
        for batch in self._in_order():
            try:
                batch.future.exception()
            finally:
                self._collect(batch, done)
        return done

    def _in_order(self) -> Iterator[Batch]:
        while self.running:
            yield self.running.pop(0)

    def _collect(self, batch: Batch, done: Finished) -> None:
        try:
            self.counts.update(batch.future.result())
        except Exception as exc:
            # A worker died (killed, out of memory, a crash in a C library) or
            # the corpus refused the batch: its rows are not in the corpus.
            log.error("a batch of %d captures was not processed: %s", len(batch.records), exc)
            done.lost.extend(batch.records)
            if isinstance(exc, BrokenProcessPool):
                self._replace_broken_executor()
            return
        done.processed.extend(batch.records)

    def _replace_broken_executor(self) -> None:
        if getattr(self.executor, "_broken", False):
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new_executor()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
