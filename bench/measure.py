"""Running one command and measuring it: wall time, CPU time and peak RSS of its process tree."""

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_EVERY = 0.1  # seconds


@dataclass
class Measured:
    command: list[str]
    seconds: float  # wall time from start to exit
    cpu_seconds: float  # user + system of the whole process tree (see run_measured)
    peak_rss: int  # bytes: the largest sum of RSS over the process and its children
    returncode: int
    stdout: str
    stderr: str


def tree_rss(process: psutil.Process) -> int:
    """RSS summed over a process and its descendants (worker processes included)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run_measured(command: list[str], logs: Path) -> Measured:
    """Run ``command`` to its end; its output goes to files under ``logs`` (pipes could fill).

    CPU time comes from ``wait4``'s resource usage, which counts the process
    and every descendant it reaped: exact, where sampling would miss the
    last interval and short-lived workers. Processes further down that it
    never reaps (a fork server's workers, which the server reaps) are added
    as last sampled.
    """
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout", logs / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        peak = 0
        unreaped: dict[int, float] = {}  # CPU seconds of grandchildren, last sampled
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            try:
                watched = psutil.Process(process.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                try:
                    peak = max(peak, tree_rss(watched))
                    children = {child.pid for child in watched.children()}
                    for member in watched.children(recursive=True):
                        if member.pid not in children:
                            times = member.cpu_times()
                            unreaped[member.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    if not watched.is_running():
                        return
                done.wait(SAMPLE_EVERY)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    return Measured(
        command,
        seconds,
        usage.ru_utime + usage.ru_stime + sum(unreaped.values()),
        peak,
        process.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
    )
