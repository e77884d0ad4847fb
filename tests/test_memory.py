"""Freed memory goes back to the system during a long run (glibc's allocator keeps it)."""

import os
from pathlib import Path

import pytest

from tearsheet.memory import MemoryTrimmer


def resident() -> int:
    """Resident bytes, from Linux's /proc (the only place trimming works)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_memory_freed_amid_live_blocks_is_returned() -> None:
    trimmer = MemoryTrimmer(seconds=0)
    if trimmer.trim is None:
        pytest.skip("no malloc_trim in this C library")
    # Page-sized bodies, most freed, every tenth kept: holes the heap cannot shrink past.
    blocks = [bytes(100_000) + bytes([n % 256]) for n in range(2_000)]
    kept = blocks[::10]
    del blocks
    held = resident()
    trimmer()
    assert resident() < held - 100 * 2**20
    assert len(kept) == 200
