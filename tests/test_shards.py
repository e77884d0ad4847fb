"""extract --workers and --dask: per-WARC-file tasks whose merged shards are one process's rows."""

import sys
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve

from tearsheet.extraction import extract_warcs
from tearsheet.plugins import manager
from tearsheet.plugins.manager import PluginChoice, new_plugin_manager
from tearsheet.shards import ParallelError, dask_runner

# Dies in the middle of the first file a worker extracts an article from, once.
DIE_ONCE = """
import os

from tearsheet import hookimpl


@hookimpl(tryfirst=True)
def extract_article(capture):
    try:
        os.close(os.open(os.environ["DIE_ONCE_MARK"], os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return None
    os._exit(1)
"""

# Learns nothing, but a learning plugin besides the template cleaner's makes
# the parent learn from every capture in order, as one process does.
LEARNER = """
from tearsheet import hookimpl


@hookimpl
def learn_capture(capture, corpus):
    pass
"""


STANDARDS = "Our standards: the Harbour Gazette checks every story with two editors."
TOPICS = [
    ("ferry", "The night ferry to the islands returns in May after a winter in the dry dock."),
    ("market", "The fish market moves to the old rope works while its roof is mended."),
    ("school", "The harbour school opens a sailing class for its oldest pupils this spring."),
    ("lights", "New lights on the breakwater will guide the trawlers home after dark."),
]
STORM = [
    "A storm tore the roof off the lifeboat station on Tuesday night, the coastguard said.",
    "Volunteers moved the lifeboat to the ferry shed and kept watch until the wind dropped.",
    "The station's chief said repairs would take a month and cost the town forty thousand.",
    "Fishermen offered timber and rope, and the mayor promised money from the harbour fund.",
]


def story_page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>{body}"
        f"<p class='standards'>{STANDARDS}</p></article></body></html>"
    ).encode()


def site() -> dict[str, Route]:
    """A home page and six stories, two of them one story told twice, a template line in each."""
    pages = {
        f"/news/{name}.html": story_page(
            name.title(),
            [
                first,
                f"People on the quay talked about the {name} all week long.",
                f"The Harbour Gazette will report on the {name} again next month.",
            ],
        )
        for name, first in TOPICS
    }
    pages["/news/storm.html"] = story_page("Storm hits lifeboat station", STORM)
    pages["/news/storm-retold.html"] = story_page(
        "Lifeboat station loses its roof", [*STORM[1:], "The lifeboat crew thanked the town."]
    )
    home = html_page("Harbour Gazette", ["Today's news from the quay."], list(pages))
    return {"/": Route(home), **{path: Route(body) for path, body in pages.items()}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A loopback news site crawled into several small WARC files, one task each."""
    archive = tmp_path_factory.mktemp("crawl") / "archive"
    with serve(site()) as server:
        result = run_tearsheet(
            "crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(archive), "--max-warc-size", "3000"
        )
    assert result.returncode == 0, result.stderr
    assert len(list((archive / "warc").glob("*.warc.gz"))) >= 3
    return archive


@pytest.fixture(scope="module")
def one_process(demo, tmp_path_factory) -> dict[str, list]:
    corpus = tmp_path_factory.mktemp("single") / "corpus.db"
    report = extract_warcs([demo], corpus, manager=new_plugin_manager(PluginChoice()))
    assert report.ok and report.counts["article"] == 6
    found = rows(corpus)
    assert not any(STANDARDS in article[10] for article in found["articles"])  # learned: template
    return found


def rows(path: Path) -> dict[str, list]:
    """What a user reads in a corpus, in an order that does not depend on insertion."""
    db = sqlite_utils.Database(path)
    tables = ["articles", "versions", "captures", "boilerplate", "boilerplate_counts"]
    found = {table: sorted(map(tuple, db.execute(f"select * from {table}"))) for table in tables}
    found["errors"] = sorted(db.execute("select url, stage, kind, message, capture from errors"))
    found["stories"] = sorted(
        (story["title"], story["origin"], story["articles"])
        for story in db.query("select * from stories")
    )
    found["story_members"] = sorted(
        db.execute("select article, similarity, is_origin from story_members")
    )
    found["search"] = sorted(
        db.execute(
            "select url from articles where rowid in"
            " (select rowid from articles_fts where articles_fts match 'lifeboat')"
        )
    )
    db.conn.close()
    return found


@pytest.fixture
def die_once(tmp_path, monkeypatch) -> Path:
    """Worker processes load a plugin that kills the first one to extract an article."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "die_once.py").write_text(DIE_ONCE)
    mark = tmp_path / "died"
    monkeypatch.setenv("TEARSHEET_PLUGINS_DIR", str(plugins))
    monkeypatch.setenv("DIE_ONCE_MARK", str(mark))
    monkeypatch.setattr(manager, "_current", None)  # forked workers load the plugins afresh
    return mark


@pytest.mark.slow
def test_two_workers_give_the_rows_of_one_process_though_one_dies(
    demo, one_process, die_once, tmp_path
) -> None:
    corpus = tmp_path / "out" / "corpus.db"
    result = run_tearsheet("extract", str(demo), "-o", str(corpus), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert die_once.exists()  # a worker process died in the middle of a file
    progress = [line for line in result.stderr.splitlines() if line.startswith("extracted ")]
    warcs = sorted((demo / "warc").glob("*.warc.gz"))
    assert sorted(progress) == [f"extracted {path}" for path in warcs]  # file by file
    assert "6 articles" in result.stderr
    merged = rows(corpus)
    assert len(merged["articles"]) == 6 and merged["boilerplate"] and merged["stories"]
    assert len(merged["search"]) == 2
    assert merged == one_process
    assert [p.name for p in corpus.parent.iterdir()] == ["corpus.db"]  # no shard left


@pytest.mark.slow
def test_a_dask_worker_that_dies_has_its_file_run_again(
    demo, one_process, die_once, tmp_path
) -> None:
    import dask
    from distributed import LocalCluster

    (tmp_path / "plugins" / "learner.py").write_text(LEARNER)  # learning in the parent
    corpus = tmp_path / "out" / "corpus.db"
    # Forked workers start in a moment with tearsheet already imported.
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "fork"}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        report = extract_warcs([demo], corpus, dask=cluster.scheduler_address)
    assert die_once.exists()
    assert report.ok and report.counts["article"] == 6
    assert rows(corpus) == one_process
    assert [p.name for p in corpus.parent.iterdir()] == ["corpus.db"]


def test_an_unreachable_scheduler_is_one_line() -> None:
    with pytest.raises(ParallelError) as caught, dask_runner("tcp://127.0.0.1:9", timeout=0.5):
        pass
    assert str(caught.value).startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert "\n" not in str(caught.value)


def test_without_dask_installed_dask_says_how_to_get_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ParallelError) as caught, dask_runner("tcp://127.0.0.1:9"):
        pass
    assert str(caught.value) == "--dask needs dask.distributed: pip install 'tearsheet[dask]'"
