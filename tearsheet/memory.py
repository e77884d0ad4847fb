"""Handing freed memory back to the system, so a long crawl's footprint follows its work.

A crawl frees most of what it allocates within a second: response bodies,
wire recordings, parsed pages of a few hundred KB each. glibc's allocator
keeps such freed blocks for reuse, and as their sizes vary its heap
fragments: a process that holds 100 MiB of live data can keep 400 MiB
resident. ``malloc_trim`` returns the free pages inside the heap, not only
those at its top. Elsewhere (macOS, musl) this does nothing.
"""

import ctypes
import sys
import time
from collections.abc import Callable

TRIM_SECONDS = 5.0  # a trim walks the heap: a few ms for a few hundred MiB


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the C library this process already uses
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)  # glibc only
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class MemoryTrimmer:
    """Returns freed heap memory to the system at most every ``seconds``."""

    def __init__(self, seconds: float = TRIM_SECONDS) -> None:
        self.seconds = seconds
        self.trim = _malloc_trim()
        self.last = time.monotonic()

    def __call__(self) -> None:
        """Trim if the last trim is ``seconds`` old; cheap to call often."""
        now = time.monotonic()
        if self.trim is not None and now - self.last >= self.seconds:
            self.last = now
            self.trim(0)
