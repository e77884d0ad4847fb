"""extract --workers and --dask: tasks of WARC record chunks, merged into one process's rows."""

import gzip
import random
import sys
import threading
from io import BytesIO
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tearsheet import shards
from tearsheet.archive.reader import capture_places, read_captures
from tearsheet.extraction import extract_warcs
from tearsheet.plugins import manager
from tearsheet.plugins.manager import PluginChoice, new_plugin_manager
from tearsheet.pool import start_fork_server
from tearsheet.shards import ParallelError, dask_runner, plan_chunks

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

# Kills its worker whenever it cleans (processing pass) or extracts (learning
# pass) the story archived again at a new URL.
DIE_ON_RETOLD = """
import os

from tearsheet import hookimpl


@hookimpl(tryfirst=True)
def clean_article(capture):
    if capture.url.endswith("-again.html"):
        os._exit(1)
"""
DIE_ON_RETOLD_EXTRACTING = DIE_ON_RETOLD.replace("clean_article", "extract_article")

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
    return name_die_once(tmp_path, monkeypatch)


def name_die_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Name the plugin in the environment; return the file it leaves when it kills a worker."""
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
def test_a_process_with_threads_gets_workers_with_its_environment_from_the_fork_server(
    demo, one_process, tmp_path, monkeypatch
) -> None:
    start_fork_server()  # running before the plugin is named, without it
    mark = name_die_once(tmp_path, monkeypatch)
    idle = threading.Event()
    other = threading.Thread(target=idle.wait)  # as a notebook's kernel has
    other.start()
    try:
        report = extract_warcs([demo], tmp_path / "out" / "corpus.db", workers=2)
    finally:
        idle.set()
        other.join()
    assert mark.exists()  # a worker loaded the plugin the environment names now
    assert report.ok and rows(tmp_path / "out" / "corpus.db") == one_process


GZIP_HEADER_BYTES = 10  # warcio's gzip members carry no file name or extra field


@pytest.fixture(scope="module")
def one_file(demo, tmp_path_factory) -> Path:
    """The crawl's WARC files as one, a revisit of a story at a new URL, then a corrupt record."""
    path = tmp_path_factory.mktemp("one") / "all.warc.gz"
    warcs = sorted((demo / "warc").glob("*.warc.gz"))
    original = next(
        capture
        for warc in warcs
        for capture in read_captures(warc)
        if "/news/" in capture.url  # the first story archived
    )
    with path.open("wb") as out:
        for warc in warcs:  # gzip members one after another: still one gzip WARC
            out.write(warc.read_bytes())
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", list(original.headers), protocol="HTTP/1.1")
        writer.write_record(
            writer.create_revisit_record(
                original.url.replace(".html", "-again.html"),
                original.payload_digest,
                original.url,
                original.fetched_at,
                http_headers=headers,
            )
        )
        corrupt = out.tell()
        for _ in range(2):  # the first corrupt, the second never read
            body = BytesIO(original.body)
            writer.write_record(
                writer.create_warc_record(
                    original.url, "response", payload=body, http_headers=headers
                )
            )
    data = bytearray(path.read_bytes())
    assert data[corrupt : corrupt + 4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no flags
    # The member's first deflate block gets the reserved block type 3 (RFC 1951): a decompressor
    # fails on it whatever the record's bytes; zeroing bytes instead sometimes still inflated.
    data[corrupt + GZIP_HEADER_BYTES] = 0b111
    path.write_bytes(bytes(data))
    return path


def lookalike_warc(path: Path) -> Path:
    """A gzip WARC whose middle record holds, stored uncompressed, a gzip WARC of its own."""
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")

    def response(url: str, payload: bytes, gzipped: bool) -> bytes:
        record = BytesIO()
        writer = WARCWriter(record, gzip=gzipped)
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=BytesIO(payload), http_headers=headers
            )
        )
        return record.getvalue()

    inner = response("http://inner.test/", b"<p>inner</p>", gzipped=True)
    noise = random.Random(8).randbytes(200_000)  # no gzip member of a WARC record in it
    path.write_bytes(
        gzip.compress(response("http://news.test/first", b"<p>first</p>", False))
        # stored, not deflated: the inner WARC's bytes as they are
        + gzip.compress(response("http://news.test/archived", noise + inner + noise, False), 0)
        + gzip.compress(response("http://news.test/last", b"<p>last</p>", False))
    )
    return path


class InThisProcess:
    """Runs the planning tasks here, one after another, as two workers would."""

    workers = 2

    def run(self, function, tasks):
        return ((index, function(*task)) for index, task in enumerate(tasks))


def test_a_large_file_is_planned_in_parts_with_the_places_of_one_reading(
    one_file, monkeypatch
) -> None:
    monkeypatch.setattr(shards, "MIN_PART_BYTES", 1)
    parts = shards.file_parts([one_file], 2)
    assert len(parts) == 2 and parts[0][2] == parts[1][1]  # cut where a record starts
    assert shards.find_places([one_file], InThisProcess()) == [capture_places(one_file)]


def test_a_cut_at_a_lookalike_inside_a_record_is_read_past(tmp_path, monkeypatch) -> None:
    path = lookalike_warc(tmp_path / "archived.warc.gz")
    monkeypatch.setattr(shards, "MIN_PART_BYTES", 1)
    [(_, _, cut), _] = shards.file_parts([path], 2)
    [first, archived, last] = capture_places(path)
    assert archived[0] < cut < last[0]  # inside the archived record: the inner WARC's member
    assert shards.find_places([path], InThisProcess()) == [[first, archived, last]]


def test_planning_in_parts_stops_at_a_corrupt_record_as_one_reading_does(
    one_file, monkeypatch
) -> None:
    monkeypatch.setattr(shards, "MIN_PART_BYTES", 1)
    runner = InThisProcess()
    runner.workers = 64  # parts of a few records: one starts after the corrupt record
    parts = shards.file_parts([one_file], runner.workers)
    past_it = [start for _, start, _ in parts if start > capture_places(one_file)[-1][0]]
    assert any(shards.places_between(one_file, start)[0] for start in past_it)  # readable
    assert shards.find_places([one_file], runner) == [capture_places(one_file)]


@pytest.mark.slow
def test_one_file_in_chunks_gives_the_rows_of_one_process(one_file, tmp_path, monkeypatch) -> None:
    single = tmp_path / "single" / "corpus.db"
    alone = extract_warcs([one_file], single, manager=new_plugin_manager(PluginChoice()))
    assert alone.counts["article"] == 7  # the revisit's too: its original was found
    assert len(alone.problems) == 1  # the corrupt record

    monkeypatch.setattr(shards, "MIN_CHUNK_CAPTURES", 1)  # chunks of a handful of pages
    plan = plan_chunks([one_file], [capture_places(one_file)], 2)
    revisit = next(c for c in read_captures(one_file) if c.record_type == "revisit")
    assert len(plan.chunks) > 2 and plan.chunks[-1].start < revisit.warc_offset
    assert plan.origins[revisit.payload_digest][0] < len(plan.chunks) - 1  # in an earlier chunk
    merged: list[Path] = []

    def merge(shard_paths, target, plugins):
        def counted():
            for path in shard_paths:
                merged.append(path)
                yield path

        return merge_corpora(counted(), target, plugins)

    merge_corpora = shards.merge_corpora
    monkeypatch.setattr(shards, "merge_corpora", merge)
    done: list[Path] = []
    corpus = tmp_path / "many" / "corpus.db"
    report = extract_warcs([one_file], corpus, on_file=done.append, workers=2)
    assert len(merged) == len(plan.chunks) and merged == sorted(merged)  # per chunk, in order
    assert done == [one_file]  # the file's progress line, once
    assert report.counts == alone.counts and report.passed_over == alone.passed_over
    assert report.problems == alone.problems  # the corrupt record, reported once
    assert rows(corpus) == rows(single)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("plugin", "merged_before"),
    [(DIE_ON_RETOLD, True), (DIE_ON_RETOLD_EXTRACTING, False)],
    ids=["cleaning", "extracting"],
)
def test_a_chunk_that_kills_every_worker_stops_with_the_shards_before_it_merged(
    one_file, tmp_path, monkeypatch, plugin, merged_before
) -> None:
    """Articles are extracted in the learning pass, so a chunk that dies there merges nothing."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "die_again.py").write_text(plugin)
    monkeypatch.setenv("TEARSHEET_PLUGINS_DIR", str(plugins))
    monkeypatch.setattr(manager, "_current", None)  # forked workers load the plugins afresh
    monkeypatch.setattr(shards, "MIN_CHUNK_CAPTURES", 1)
    corpus = tmp_path / "out" / "corpus.db"
    with pytest.raises(ParallelError, match="died 3 times"):
        extract_warcs([one_file], corpus, workers=2)
    partial = sqlite_utils.Database(corpus)
    urls = [url for (url,) in partial.execute("select url from articles")]
    partial.conn.close()
    assert bool(urls) is merged_before  # up to the last chunk, or none
    assert not any(url.endswith("-again.html") for url in urls)
    assert [p.name for p in corpus.parent.iterdir()] == ["corpus.db"]  # no shard left

    monkeypatch.delenv("TEARSHEET_PLUGINS_DIR")
    monkeypatch.setattr(manager, "_current", None)
    single = tmp_path / "single" / "corpus.db"
    extract_warcs([one_file], single, manager=new_plugin_manager(PluginChoice()))
    report = extract_warcs([one_file], corpus, workers=2)  # run again: the rest added
    assert report.counts["article"] == 7
    assert rows(corpus) == rows(single)


def test_results_come_in_task_order_as_soon_as_those_before_are_done() -> None:
    arrived: list[int] = []

    def finished():
        for index in (1, 0, 3, 2):
            arrived.append(index)
            yield index, f"shard {index}"

    ordered = shards.in_task_order(finished())
    assert next(ordered) == (0, "shard 0") and arrived == [1, 0]  # not waiting for 2 and 3
    assert list(ordered) == [(1, "shard 1"), (2, "shard 2"), (3, "shard 3")]


@pytest.mark.slow
def test_a_dask_worker_that_dies_has_its_file_run_again(
    demo, one_process, die_once, tmp_path
) -> None:
    import dask
    from distributed import LocalCluster

    (tmp_path / "plugins" / "learner.py").write_text(LEARNER)  # learning in the parent
    corpus = tmp_path / "out" / "corpus.db"
    # Not "fork": a worker forked from this many-threaded test process once
    # inherited a lock held by another thread and hung. Not the fork server
    # either: one started by an earlier test (LocalRunner) has the
    # environment of then, without this test's plugin.
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}),
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
