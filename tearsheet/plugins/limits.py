"""Cutting off a plugin call that hangs on one page."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PluginTimeout(BaseException):  # noqa: N818 (a plugin's `except Exception` must not catch it)
    """Raised inside a plugin call that ran past its time limit."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise PluginTimeout in the block after ``seconds`` of wall time.

    It uses SIGALRM, so it applies in the main thread (where a crawl's
    reactor and ``tearsheet extract`` process pages) and on POSIX; elsewhere
    the block runs without a limit.
    """
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise PluginTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
