"""tearsheet merge: shards become one process's corpus, and merging twice adds nothing."""

from dataclasses import replace
from pathlib import Path

import sqlite_utils
from conftest import run_tearsheet
from servers import html_page

from tearsheet.boilerplate import learn_page, learned_blocks
from tearsheet.corpus import Corpus
from tearsheet.merge import merge_corpora
from tearsheet.plugins.manager import PluginChoice, new_plugin_manager
from tearsheet.processing import Processor, page_capture

URL = "https://harbour.example/news/festival.html"
OTHER = "https://harbour.example/news/ferry.html"
FESTIVAL = [
    "The harbour festival opens on Friday with twelve brass bands on the quay.",
    "Stalls sell smoked fish, and the lifeboat crew shows its new boat to visitors.",
]
FERRY = ["The night ferry to the islands returns in May after a winter in the dry dock."]
EDITED = ["The harbour festival is postponed by a week: storms are due on Friday.", FESTIVAL[1]]


def capture(url: str, paragraphs: list[str], at: str, record: str, body: bytes | None = None):
    page = body if body is not None else html_page("Harbour Gazette", paragraphs)
    return replace(
        page_capture(page, url),
        fetched_at=at,
        warc_record_id=f"<urn:uuid:{record}>",
        warc_file=f"{record}.warc.gz",
    )


def shard(path: Path, *captures) -> Path:
    corpus = Corpus(path)
    processor = Processor(corpus, new_plugin_manager(PluginChoice()))
    for item in captures:
        processor.process(item)
    corpus.close()
    return path


def dump(path: Path) -> dict[str, list]:
    db = sqlite_utils.Database(path)
    tables = ["captures", "articles", "versions", "boilerplate", "boilerplate_counts", "stories"]
    found = {table: sorted(map(tuple, db.execute(f"select * from {table}"))) for table in tables}
    found["errors"] = sorted(db.execute("select id, url, kind, capture from errors"))
    found["runs"] = sorted(db.execute("select command, options, started_at from runs"))
    db.conn.close()
    return found


def test_each_url_keeps_its_latest_article_and_its_changes_once(tmp_path: Path) -> None:
    shards = [
        shard(
            tmp_path / "1.db",
            capture(URL, FESTIVAL, "2024-05-01T08:00:00Z", "a1"),
            capture(OTHER, FERRY, "2024-05-01T08:00:01Z", "a2"),
        ),
        shard(
            tmp_path / "2.db",
            capture(URL, FESTIVAL, "2024-05-02T08:00:00Z", "b1"),  # unchanged: no new version
            capture(OTHER, [], "2024-05-02T08:00:01Z", "b2", body=b" "),  # an error row
        ),
        shard(tmp_path / "3.db", capture(URL, EDITED, "2024-05-03T08:00:00Z", "c1")),
    ]
    corpus = tmp_path / "corpus.db"
    report = merge_corpora(shards, corpus)
    assert report.ok and report.shards == 3 and report.captures == 5 and report.articles == 2

    db = sqlite_utils.Database(corpus)
    text = db.execute("select text from articles where url = ?", [URL]).fetchone()[0]
    assert "postponed" in text and "twelve brass bands" not in text
    versions = db.execute("select capture from versions where url = ? order by fetched_at", [URL])
    assert [row[0] for row in versions] == ["<urn:uuid:a1>", "<urn:uuid:c1>"]
    assert [row[0] for row in db.execute("select kind from errors")] == ["empty_body"]
    hits = db.execute("select url from articles where rowid in (select rowid from articles_fts"
                      " where articles_fts match 'postponed')").fetchall()  # fmt: skip
    assert hits == [(URL,)]
    replaced = db.execute("select rowid from articles_fts where articles_fts match 'brass'")
    assert replaced.fetchall() == []  # the index follows the article's latest text
    db.conn.close()

    merged = dump(corpus)
    again = merge_corpora(shards, corpus)
    assert (again.captures, again.errors, again.runs) == (0, 0, 0)
    assert dump(corpus) == merged
    backwards = tmp_path / "backwards.db"
    merge_corpora(list(reversed(shards)), backwards)
    assert dump(backwards)["articles"] == merged["articles"]
    assert dump(backwards)["versions"] == merged["versions"]


def test_a_search_index_no_trigger_keeps_is_rebuilt_after_the_merge(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.db"
    db = sqlite_utils.Database(corpus)
    db["notes"].insert({"id": 1, "text": "ferry timetable"}, pk="id")
    db["notes"].enable_fts(["text"])  # without triggers: its writer rebuilds it
    db["notes"].insert({"id": 2, "text": "lifeboat station"})
    db.conn.close()
    merge_corpora(
        [shard(tmp_path / "1.db", capture(URL, FESTIVAL, "2024-05-01T08:00:00Z", "a"))], corpus
    )
    db = sqlite_utils.Database(corpus)
    assert [row["id"] for row in db["notes"].search("lifeboat")] == [2]
    assert [row["url"] for row in db["articles"].search("brass")] == [URL]
    db.conn.close()


def test_template_counts_add_up_per_distinct_page(tmp_path: Path) -> None:
    site = "https://harbour.example"
    footer = {("footer", "harbour gazette is written on the quay since 1888")}
    halves = []
    for name, pages in (("a", range(3)), ("b", range(3, 5))):
        corpus = Corpus(tmp_path / f"{name}.db")
        with corpus.transaction():
            for n in pages:
                learn_page(corpus.db, site, f"{site}/{n}.html", footer)
        corpus.close()
        halves.append(tmp_path / f"{name}.db")

    corpus = tmp_path / "corpus.db"
    merge_corpora([*halves, halves[1], halves[0]], corpus)
    db = sqlite_utils.Database(corpus)
    assert db.execute("select pages from boilerplate_counts").fetchall() == [(5,)]
    assert db.execute("select count(*) from boilerplate_pages").fetchone()[0] == 5
    assert learned_blocks(db, site) == footer
    assert db.execute("select pages from boilerplate").fetchall() == [(5,)]


def test_merge_command_names_a_bad_shard_and_merges_the_others(tmp_path: Path) -> None:
    good = shard(tmp_path / "good.db", capture(URL, FESTIVAL, "2024-05-01T08:00:00Z", "a1"))
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database, just notes\n" * 200)
    corpus = tmp_path / "corpus.db"
    result = run_tearsheet("merge", str(good), str(bad), "-o", str(corpus))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"tearsheet: {bad}: not a corpus database (file is not a database)"
    )
    assert "Merged 1 shards" in result.stderr and "1 new captures" in result.stderr
    db = sqlite_utils.Database(corpus)
    assert db["articles"].count == 1
    assert db.execute("select url, stage, kind from errors").fetchall() == [
        (str(bad), "merge", "bad_shard")
    ]


def test_stories_follow_each_url_to_its_latest_text(tmp_path: Path) -> None:
    shards = [
        shard(
            tmp_path / "1.db",
            capture(URL, FESTIVAL, "2024-05-01T08:00:00Z", "a1"),
            capture(OTHER, FESTIVAL, "2024-05-01T08:00:01Z", "a2"),  # one story of two
        ),
        # Cut to a line, too few words for a story: the story goes, and the signature.
        shard(
            tmp_path / "2.db",
            capture(URL, ["Festival opens Friday."], "2024-05-02T08:00:00Z", "b1"),
        ),
    ]
    first = tmp_path / "first.db"
    assert merge_corpora(shards[:1], first).stories == 1
    corpus = tmp_path / "corpus.db"
    report = merge_corpora(shards, corpus)
    assert report.ok and report.stories == 0
    db = sqlite_utils.Database(corpus)
    assert [row[0] for row in db.execute("select article from story_signatures")] == [OTHER]
