"""``tearsheet wacz``: a WACZ 1.1.1 that the ``wacz`` tool validates, its pages from the corpus."""

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_tearsheet
from tools import WACZ, tool

from .conftest import cdxj_indexer, write_warc


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def validate(package: Path) -> subprocess.CompletedProcess[str]:
    """The ``wacz validate`` command of webrecorder's py-wacz, from its own environment."""
    command = [str(tool(WACZ, "wacz")), "validate", "-f", str(package)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def corpus_pages(archive: Path) -> list[dict]:
    """What the pages should be: each article at its capture's URL and WARC-Date."""
    rows = sqlite_utils.Database(archive / "corpus.db").query(
        "select captures.url, captures.fetched_at as ts, articles.title, articles.text"
        " from articles join captures on articles.capture = captures.warc_record_id"
        " order by captures.fetched_at, captures.url"
    )
    return list(rows)


@pytest.fixture(scope="module")
def package(crawled_site, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "news.wacz"
    result = run_tearsheet("wacz", str(crawled_site.archive), "-o", str(out), "--title", "News")
    assert result.returncode == 0, result.stderr
    assert f"into {out}" in result.stderr
    return out


@pytest.mark.slow
def test_the_wacz_tool_validates_the_package(package) -> None:
    result = validate(package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded, the passed WACZ is valid" in result.stdout


@pytest.mark.slow
def test_the_package_holds_the_warcs_stored_and_their_index(package, crawled_site) -> None:
    warcs = sorted((crawled_site.archive / "warc").iterdir())
    with zipfile.ZipFile(package) as wacz:
        names = wacz.namelist()
        assert sorted(names) == sorted(
            [f"archive/{warc.name}" for warc in warcs]
            + [
                "indexes/index.cdxj",
                "pages/pages.jsonl",
                "datapackage.json",
                "datapackage-digest.json",
            ]
        )
        for warc in warcs:
            assert wacz.getinfo(f"archive/{warc.name}").compress_type == zipfile.ZIP_STORED
            assert wacz.read(f"archive/{warc.name}") == warc.read_bytes()
        assert wacz.read("indexes/index.cdxj").decode() == cdxj_indexer(*warcs)


@pytest.mark.slow
def test_the_datapackage_digests_match_the_files(package) -> None:
    with zipfile.ZipFile(package) as wacz:
        manifest_bytes = wacz.read("datapackage.json")
        manifest = json.loads(manifest_bytes)
        digest = json.loads(wacz.read("datapackage-digest.json"))
        files = {name: wacz.read(name) for name in wacz.namelist()}
    assert manifest["profile"] == "data-package"
    assert manifest["wacz_version"] == "1.1.1"
    assert manifest["title"] == "News"
    assert manifest["software"].startswith("tearsheet ")
    assert manifest["created"].endswith("Z")
    listed = {resource["path"]: resource for resource in manifest["resources"]}
    assert set(listed) == set(files) - {"datapackage.json", "datapackage-digest.json"}
    for path, resource in listed.items():
        assert resource["hash"] == sha256(files[path]), path
        assert resource["bytes"] == len(files[path]), path
        assert resource["name"] == path.rsplit("/", 1)[1]
    assert digest == {"path": "datapackage.json", "hash": sha256(manifest_bytes)}


@pytest.mark.slow
def test_the_pages_are_the_corpus_articles_with_their_text(package, crawled_site) -> None:
    with zipfile.ZipFile(package) as wacz:
        header, *pages = map(json.loads, wacz.read("pages/pages.jsonl").decode().splitlines())
    assert header == {
        "format": "json-pages-1.0",
        "id": "pages",
        "title": "All Pages",
        "hasText": True,
    }
    expected = corpus_pages(crawled_site.archive)
    assert [{k: page[k] for k in ("url", "ts", "title", "text")} for page in pages] == expected
    assert len({page["id"] for page in pages}) == len(pages)
    texts = {page["url"].removeprefix(crawled_site.url): page["text"] for page in pages}
    assert "Zummar" in texts["/world/rockets"]
    assert "nine votes to two" in texts["/city/budget"]  # the gzip-encoded page, decoded


@pytest.mark.slow
def test_a_broken_warc_is_packaged_with_its_readable_records_and_named(
    crawled_site, tmp_path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(crawled_site.archive, archive, ignore=shutil.ignore_patterns("indexes"))
    budget = next(p for p in corpus_pages(archive) if p["url"].endswith("/city/budget"))
    captures = sqlite_utils.Database(archive / "corpus.db")["captures"]
    [row] = captures.rows_where("url = ?", [budget["url"]])
    warc_name, offset = row["warc_file"], row["warc_offset"]
    broken = archive / "warc" / warc_name
    broken.write_bytes(broken.read_bytes()[: offset + 300])  # into the budget's record
    (archive / "warc" / "notes.warc").write_text("not a warc\n")
    out = tmp_path / "news.wacz"

    result = run_tearsheet("wacz", str(archive), "-o", str(out))

    assert result.returncode == 1
    assert f"tearsheet: {broken}: record at offset {offset} is cut short" in result.stderr
    assert f"tearsheet: {broken}: packaged its first {offset} bytes" in result.stderr
    assert f"tearsheet: {archive / 'warc' / 'notes.warc'}: not a WARC" in result.stderr
    with zipfile.ZipFile(out) as wacz:
        assert wacz.read(f"archive/{warc_name}") == broken.read_bytes()[:offset]
        assert "archive/notes.warc" not in wacz.namelist()
        _, *pages = map(json.loads, wacz.read("pages/pages.jsonl").splitlines())
    others = [page["url"] for page in corpus_pages(archive) if page["url"] != budget["url"]]
    assert [page["url"] for page in pages] == others
    assert validate(out).returncode == 0


def test_without_a_corpus_it_says_how_to_build_one(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    write_warc(archive / "warc" / "news.warc.gz", {"http://news.test/": b"<p>News</p>"})
    out = tmp_path / "news.wacz"
    result = run_tearsheet("wacz", str(archive), "-o", str(out))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line == (
        f"tearsheet: Invalid value for 'ARCHIVE_DIR': no corpus at {archive / 'corpus.db'}: "
        f"build it with `tearsheet extract {archive} -o {archive / 'corpus.db'}`"
    )
    assert list(tmp_path.iterdir()) == [archive]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["wacz", "archive"], "Missing option '-o'"),
        (["wacz", "archive", "-o", "news.zip"], "a WACZ file's name ends in .wacz"),
        (["wacz", "empty", "-o", "news.wacz"], "no WARC files in"),
        (["wacz", "archive/warc/news.warc.gz", "-o", "news.wacz"], "is a file"),
    ],
)
def test_wrong_use_exits_2_with_a_one_line_reason(tmp_path: Path, args, reason) -> None:
    write_warc(tmp_path / "archive" / "warc" / "news.warc.gz", {"http://news.test/": b"<p>N</p>"})
    (tmp_path / "empty").mkdir()
    paths = {"archive", "empty", "news.zip", "news.wacz", "archive/warc/news.warc.gz"}
    result = run_tearsheet(*(str(tmp_path / a) if a in paths else a for a in args))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tearsheet: ") and reason in lines[0]
    assert not (tmp_path / "news.wacz").exists()
