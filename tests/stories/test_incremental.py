"""Placing articles one at a time, as a crawl stores them, gives the stories a rebuild gives."""

import random

import pytest
import sqlite_utils

from tearsheet.article import Article
from tearsheet.corpus import Corpus
from tearsheet.merge import merge_corpora
from tearsheet.plugins.default import sqlite_exporter
from tearsheet.plugins.default import stories as stories_plugin
from tearsheet.stories import StoryIndex, assign_story, compute_stories

from .corpora import Piece, demo_pieces, open_corpus, same_topic_pieces, store


def groups(db: sqlite_utils.Database) -> set[tuple]:
    """Stories as comparable values: ids depend on arrival order, the rest must not."""
    found = set()
    for story in db["stories"].rows:
        members = db["story_members"].rows_where("story = ?", [story["id"]], order_by="article")
        found.add(
            (
                story["title"],
                story["origin"],
                story["origin_source"],
                story["method"],
                story["articles"],
                story["first_published"],
                tuple((m["article"], m["similarity"], m["is_origin"]) for m in members),
            )
        )
    return found


def arrive(corpus, pieces: list[Piece]) -> None:
    """Store each article and let the plugin's export hook place it, as a crawl does."""
    for piece in pieces:
        store(corpus, piece)
        stories_plugin.export_article(Article(url=piece.url, text=piece.text), corpus)


@pytest.mark.parametrize("order", ["published", "reversed", "shuffled"])
def test_incremental_assignment_matches_a_full_recompute(tmp_path, order) -> None:
    pieces = [*demo_pieces(), *same_topic_pieces()]
    if order == "shuffled":
        random.Random(6).shuffle(pieces)
    else:
        pieces.sort(key=lambda piece: piece.published, reverse=order == "reversed")
    corpus = open_corpus(tmp_path / "corpus.db")
    stories_plugin.prepare_corpus(corpus.db)
    arrive(corpus, pieces)
    placed = groups(corpus.db)
    signatures = list(corpus.db["story_signatures"].rows_where(order_by="article"))
    compute_stories(corpus.db)
    assert placed == groups(corpus.db)
    assert len(placed) == 1
    assert signatures == list(corpus.db["story_signatures"].rows_where(order_by="article"))


def test_a_story_keeps_its_id_as_it_grows(tmp_path) -> None:
    corpus = open_corpus(tmp_path / "corpus.db")
    seeds = [piece for piece in demo_pieces() if piece.seed]
    index = StoryIndex(corpus.db)
    for piece in seeds:
        store(corpus, piece)
        index.assign(piece.url)
    assert [row["id"] for row in corpus.db["stories"].rows] == [1]
    assert corpus.db["story_members"].count == 5


def test_an_article_rewritten_into_another_story_leaves_its_old_one(tmp_path) -> None:
    corpus = open_corpus(tmp_path / "corpus.db")
    seeds = [piece for piece in demo_pieces() if piece.seed]
    for piece in seeds:
        store(corpus, piece)
    compute_stories(corpus.db)
    moved = seeds[0]
    store(corpus, Piece(**{**moved.__dict__, "text": same_topic_pieces()[0].text}))
    assert assign_story(corpus.db, moved.url) is None
    [story] = corpus.db["stories"].rows
    assert story["articles"] == 4
    assert moved.url not in {row["article"] for row in corpus.db["story_members"].rows}
    before = groups(corpus.db)
    compute_stories(corpus.db)
    assert groups(corpus.db) == before


def test_prepare_corpus_waits_for_the_articles_table(tmp_path) -> None:
    db = sqlite_utils.Database(tmp_path / "bare.db")
    stories_plugin.prepare_corpus(db)
    assert not db["stories"].exists()
    corpus = open_corpus(tmp_path / "corpus.db")
    stories_plugin.prepare_corpus(corpus.db)
    assert {"stories", "story_members", "story_signatures"} <= set(corpus.db.table_names())
    keys = {(fk.column, fk.other_table) for fk in corpus.db["story_members"].foreign_keys}
    assert keys == {("story", "stories"), ("article", "articles")}


def test_an_article_that_links_two_stories_merges_them(tmp_path) -> None:
    """The full dispatch joins copies of its first half and copies of its second half."""
    wire = next(piece for piece in demo_pieces() if piece.seed and piece.site == "Wire Desk")
    lines = wire.text.split("\n")
    halves = ["\n".join(lines[: len(lines) // 2]), "\n".join(lines[len(lines) // 2 :])]
    corpus = open_corpus(tmp_path / "corpus.db")
    index = StoryIndex(corpus.db)
    for half, text in enumerate(halves):
        for copy in range(2):
            url = f"https://half.example/{half}/{copy}"
            store(corpus, Piece(url, f"Half {half}", f"Copy {copy}", wire.published, text))
            index.assign(url)
    assert sorted(row["id"] for row in corpus.db["stories"].rows) == [1, 2]
    store(corpus, wire)
    assert index.assign(wire.url) == 1
    [story] = corpus.db["stories"].rows
    assert (story["id"], story["articles"]) == (1, 5)
    placed = groups(corpus.db)
    compute_stories(corpus.db)
    assert groups(corpus.db) == placed


def test_an_index_holds_one_row_per_article_however_often_it_reads_back(tmp_path) -> None:
    """A crawl's worker reads back its own signatures with the others': memory stays per article."""
    pieces = [*demo_pieces(), *same_topic_pieces()]
    corpus = open_corpus(tmp_path / "corpus.db")
    stories_plugin.prepare_corpus(corpus.db)
    index = StoryIndex(corpus.db)
    for piece in pieces:
        store(corpus, piece)
        index.assign(piece.url)
    index.refresh()
    indexed = corpus.db["story_signatures"].count
    assert indexed == len(pieces)
    assert len(index.graph.urls) == indexed  # each row written once, none left dead


def test_shards_for_a_merge_keep_signatures_and_the_merge_places_their_articles(
    tmp_path,
) -> None:
    """An ``extract --workers`` task's shard leaves story placement to the merge."""
    pieces = [*demo_pieces(), *same_topic_pieces()]
    whole = open_corpus(tmp_path / "whole.db")
    stories_plugin.prepare_corpus(whole.db)
    arrive(whole, pieces)
    shards = []
    for number, half in enumerate((pieces[::2], pieces[1::2])):
        shard = Corpus(tmp_path / f"shard-{number}.db", for_merge=True)
        sqlite_exporter.prepare_corpus(shard.db)
        arrive(shard, half)
        assert shard.db["story_signatures"].count == len(half)
        assert shard.db["stories"].count == 0
        shard.close()
        shards.append(shard.path)
    merged = merge_corpora(shards, tmp_path / "merged.db")
    assert merged.stories == len(groups(whole.db)) == 1
    db = sqlite_utils.Database(tmp_path / "merged.db")
    assert groups(db) == groups(whole.db)
