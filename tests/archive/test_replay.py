"""Replay in pywb: an archived page comes back with the status and the bytes the site sent.

pywb runs as the archivists run it: ``wb-manager`` makes collections, ``wayback``
serves them on 127.0.0.1, from the tool environment ``./dev`` installs.
Collection ``added`` is indexed by pywb itself (``wb-manager add``),
collection ``ours`` by ``tearsheet index``: both must replay the same.
"""

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_tearsheet
from tools import PYWB, tool

from .conftest import BUDGET

pytestmark = pytest.mark.slow

COLLECTIONS = ["added", "ours"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, accept_gzip: bool) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body exactly as received (urllib decodes no content coding)."""
    headers = {"Accept-Encoding": "gzip"} if accept_gzip else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def start_wayback(wayback: Path, root: Path, port: int) -> subprocess.Popen:
    log = (root / "wayback.log").open("wb")
    command = [str(wayback), "--bind", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"pywb did not start:\n{(root / 'wayback.log').read_text()}")


@pytest.fixture(scope="module")
def pywb(crawled_site, tmp_path_factory) -> Iterator[str]:
    """pywb serving the crawled WARCs in two collections; its base URL."""
    wayback = tool(PYWB, "wayback")
    manager = str(wayback.parent / "wb-manager")
    root = tmp_path_factory.mktemp("pywb")
    warcs = sorted((crawled_site.archive / "warc").iterdir())
    for collection in COLLECTIONS:
        subprocess.run([manager, "init", collection], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [manager, "add", "added", *map(str, warcs)], cwd=root, check=True, capture_output=True
    )
    ours = root / "collections" / "ours"
    for warc in warcs:
        shutil.copy(warc, ours / "archive")
    indexed = run_tearsheet("index", *map(str, warcs), "-o", str(ours / "indexes" / "index.cdxj"))
    assert indexed.returncode == 0, indexed.stderr
    port = free_port()
    process = start_wayback(wayback, root, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def memento(pywb: str, collection: str, crawled_site, path: str) -> str:
    """The identity-mode (``id_``, no rewriting) URL of a page's capture."""
    url = crawled_site.url + path
    captures = sqlite_utils.Database(crawled_site.archive / "corpus.db")["captures"]
    [capture] = captures.rows_where("url = ?", [url])
    moment = datetime.fromisoformat(capture["fetched_at"].replace("Z", "+00:00"))
    return f"{pywb}/{collection}/{moment:%Y%m%d%H%M%S}id_/{url}"


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("path", ["/world/rockets", "/city/budget", "/gone"])
def test_pywb_replays_the_status_and_the_bytes_as_sent(pywb, crawled_site, collection, path):
    """A client that accepts gzip gets the stored body untouched: for the gzip-encoded
    page that is the compressed bytes the site sent, with their Content-Encoding."""
    route = crawled_site.routes[path]
    status, headers, body = fetch(memento(pywb, collection, crawled_site, path), accept_gzip=True)
    assert status == route.status
    assert body == route.body
    sent_encoding = dict(route.headers).get("Content-Encoding")
    assert headers.get("Content-Encoding") == sent_encoding


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_pywb_decodes_a_gzip_page_for_a_client_that_does_not_accept_gzip(
    pywb, crawled_site, collection
):
    """Here pywb undoes the Content-Encoding itself, so what can be compared with what
    the site sent is the decoded entity: the article's HTML, byte for byte."""
    url = memento(pywb, collection, crawled_site, "/city/budget")
    status, headers, body = fetch(url, accept_gzip=False)
    assert status == 200
    assert "Content-Encoding" not in headers
    assert body == BUDGET
