"""Shared test helpers: running the real ``tearsheet`` command."""

import os
import subprocess
import sys

import pytest

TEARSHEET = [sys.executable, "-m", "tearsheet"]
# Crawls of the tests' own loopback servers: allowed, and with no politeness delays;
# articles extracted in the crawl process, sparing each crawl the start of worker
# processes. The tests of the workers, of crashes, resumes, revisits and concurrent
# access add POOL, as a crawl does by default.
POOL = ["--workers", "2"]
FAST_CRAWL = [
    "--allow-private",
    "--delay",
    "0",
    "--no-autothrottle",
    "--contact",
    "tests@tearsheet.invalid",
    "--retries",
    "1",
    "--workers",
    "0",
]


def run_tearsheet(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, as a user would (Twisted's reactor cannot restart).

    ``env`` is added to the inherited environment.
    """
    return subprocess.run(
        [*TEARSHEET, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def tearsheet_cli():
    return run_tearsheet
