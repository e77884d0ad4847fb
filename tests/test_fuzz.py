"""Generated input for the WARC reader and the extract-and-clean chain: nothing escapes."""

import contextlib
import gzip
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tearsheet import extract_html
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.reader import NotAWarcError, ReadProblem, iter_captures
from tearsheet.archive.writer import WarcFileWriter
from tearsheet.processing import ExtractionError

FAST = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def sound_warc(tmp: Path) -> bytes:
    page = b"<html><body><p>" + b"The tide came in early on Sunday. " * 20 + b"</p></body></html>"
    with WarcFileWriter(tmp, {"software": "fuzz"}) as writer:
        for n in range(2):
            writer.write_exchange(
                f"http://news.test/{n}",
                HttpRequest("GET", f"/{n}", [("Host", "news.test")]),
                HttpResponse(
                    200,
                    "OK",
                    [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                    gzip.compress(page),
                ),
            )
    return next(tmp.iterdir()).read_bytes()


SOUND = sound_warc(Path(tempfile.mkdtemp()))


def read_all(data: bytes) -> None:
    problems: list[ReadProblem] = []
    try:
        for capture in iter_captures(io.BytesIO(data), "fuzz.warc.gz", problems):
            assert capture.url.startswith("http")
    except NotAWarcError:
        pass


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_are_read_or_refused(data: bytes) -> None:
    read_all(data)


@FAST
@given(st.integers(0, len(SOUND) - 1), st.integers(0, 255), st.integers(1, len(SOUND)))
def test_damaged_warcs_are_read_up_to_the_damage(where: int, value: int, cut: int) -> None:
    damaged = bytearray(SOUND[:cut])
    if where < len(damaged):
        damaged[where] = value
    read_all(bytes(damaged))


HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='comments'>",
        "</div>",
        "<article>",
        "<h1>",
        "Leave a Reply",
        "<script>alert(1)</script>",
        "(Reporting by A; Editing by B)",
        "<table><tr><td>",
        "&amp;",
        "<!--",
        "-->",
        "\x00",
        "\ufffd",
        "Share (16)",
        "<br>",
        "<li>Related",
        "<meta charset='x'>",
    ]
)
PAGES = st.lists(st.one_of(HTML_PIECES, st.text(max_size=40)), max_size=60).map("".join)


@FAST
@given(PAGES)
def test_the_chain_returns_an_article_or_says_why(page: str) -> None:
    try:
        article = extract_html(page, "http://news.test/fuzz")
    except ExtractionError:
        return
    assert isinstance(article.text, str) and article.text.strip()


@FAST
@given(st.binary(max_size=3000))
def test_the_chain_takes_any_bytes(body: bytes) -> None:
    with contextlib.suppress(ExtractionError):
        extract_html(body, "http://news.test/bytes")
