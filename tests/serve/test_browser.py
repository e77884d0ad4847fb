"""A real browser (Debian's headless Chromium) reads the served corpus as a researcher would.

The DOM Chromium dumps is the page after its scripts ran: a script smuggled
in from an archived page would show in it (it would retitle the page).
"""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urljoin

import httpx
import lxml.html
import pytest

from .archives import SEED_WORD

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(stories) -> Iterator[str]:
    if CHROMIUM is None:
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tearsheet", "serve", str(stories), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read()
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def browse(url: str) -> lxml.html.HtmlElement:
    """The page's DOM once Chromium has loaded it and run whatever scripts it has."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return lxml.html.fromstring(result.stdout, base_url=url)


def edited_article(stories: Path) -> str:
    import sqlite_utils

    db = sqlite_utils.Database(stories / "corpus.db")
    (url,) = next(db.execute("select url from versions group by url having count(*) > 1"))
    return url


def test_read_an_article_follow_its_story_to_another_outlet_and_search(server, stories) -> None:
    page = browse(urljoin(server, "-/article?" + urlencode({"url": edited_article(stories)})))
    assert page.findtext(".//title") != "pwned"
    assert "pwned" in page.text_content()  # shown as text, not run
    site = page.findtext(".//dd[@class='site']")
    (other, *_) = page.xpath("//a[@class='story-member']")
    assert page.xpath("//pre[@class='tearsheet-diff']//span[@class='added']")

    followed = browse(urljoin(server, other.get("href")))
    assert followed.findtext(".//h1") == other.text_content()
    assert followed.findtext(".//dd[@class='site']") not in (None, site)

    results = browse(urljoin(server, "corpus/articles?" + urlencode({"_search": SEED_WORD})))
    assert len(results.xpath("//table[contains(@class, 'rows-and-columns')]/tbody/tr")) == 5
    bad = browse(urljoin(server, "corpus/articles?" + urlencode({"_search": '"unbalanced'})))
    assert bad.findtext(".//h1") == "Search syntax not understood"
