"""What a hostile page, WARC file, host or working directory cannot make tearsheet do."""

import asyncio
import html
import os
import socket
import subprocess
from pathlib import Path

import pytest
import sqlite_utils
from conftest import TEARSHEET
from servers import html_page

from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.writer import WarcFileWriter
from tearsheet.datasette_plugin import warc_path
from tearsheet.extraction import extract_warcs
from tearsheet.serve import datasette_app

HOSTILE_TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)>'
HOSTILE_TEXT = '<script>alert("text")</script> and <img src=y onerror="alert(2)">'


def archive_of(folder: Path, pages: dict[str, bytes]) -> Path:
    """An archive directory holding one response per URL, as a crawl writes it."""
    html_type = [("Content-Type", "text/html; charset=utf-8")]
    with WarcFileWriter(folder / "warc", {"software": "tests"}) as writer:
        for url, body in pages.items():
            writer.write_exchange(
                url,
                HttpRequest("GET", "/" + url.split("/", 3)[-1], [("Host", "news.test")]),
                HttpResponse(200, "OK", html_type, body),
            )
    return folder


def test_modules_in_the_current_directory_are_not_imported(tmp_path: Path) -> None:
    """``python -m`` puts the current directory on sys.path; tearsheet takes it off."""
    article = html_page("Harbour reopens", ["The harbour reopened to ships on Monday morning."] * 3)
    url = "http://news.test/2025/03/10/harbour-reopens-to-ships.html"
    archive_of(tmp_path / "archive", {url: article})
    for name in ("click", "pluggy", "trafilatura", "lxml", "tearsheet_helper"):
        (tmp_path / f"{name}.py").write_text(
            f"open({str(tmp_path / ('imported-' + name))!r}, 'w').close()\nraise SystemExit(13)\n"
        )
    result = subprocess.run(
        [*TEARSHEET, "extract", "archive", "-o", "corpus.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("imported-*")) == []
    assert sqlite_utils.Database(tmp_path / "corpus.db")["articles"].count == 1


@pytest.mark.parametrize("prefix", ["../outside", "/tmp/abs", "a/b", "a\x00b", "..", ""])
def test_a_warc_file_prefix_cannot_leave_its_directory(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        WarcFileWriter(tmp_path / "warc", {}, prefix=prefix)


def test_a_host_name_cannot_steer_where_warc_files_go(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "../../escaped/host\x00name")
    archive = archive_of(tmp_path / "archive", {"http://news.test/a": b"<p>a</p>"})
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].parent == archive / "warc"
    assert "/" not in files[0].name and "\x00" not in files[0].name


@pytest.mark.parametrize(
    "name", ["../corpus.db", "/etc/passwd", "warc/../../corpus.db", "a\x00.warc.gz", ".hidden"]
)
def test_a_capture_cannot_point_the_record_download_outside_warc(tmp_path, name) -> None:
    folder = tmp_path / "archive" / "warc"
    folder.mkdir(parents=True)
    (folder / ".hidden").write_bytes(b"")
    (tmp_path / "archive" / "corpus.db").write_bytes(b"")
    assert warc_path(folder, name) is None


def test_a_link_out_of_warc_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "warc"
    folder.mkdir()
    (tmp_path / "secret.warc.gz").write_bytes(b"secret")
    (folder / "link.warc.gz").symlink_to(tmp_path / "secret.warc.gz")
    (folder / "real.warc.gz").write_bytes(b"")
    assert warc_path(folder, "link.warc.gz") is None
    assert warc_path(folder, "real.warc.gz") == folder / "real.warc.gz"


def test_markup_in_an_archived_title_and_text_is_shown_not_run(tmp_path: Path) -> None:
    page = html_page(html.escape(HOSTILE_TITLE), [html.escape(HOSTILE_TEXT)] * 3)
    archive = archive_of(tmp_path / "archive", {"http://news.test/hostile": page})
    extract_warcs([archive], archive / "corpus.db")
    stored = sqlite_utils.Database(archive / "corpus.db")["articles"].get(
        "http://news.test/hostile"
    )
    assert "<script>" in stored["title"] and "<script>" in stored["text"]  # kept as archived
    app = datasette_app(archive)

    async def pages() -> list[str]:
        await app.invoke_startup()
        paths = ["/-/article?url=http://news.test/hostile", "/corpus/articles", "/corpus"]
        return [(await app.client.get(path)).text for path in paths]

    shown = asyncio.run(pages())
    for text in shown:
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "<img src=y" not in text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in shown[0]
