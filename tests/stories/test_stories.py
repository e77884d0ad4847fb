"""Same-story detection: retellings of one wire story group together, other stories stay apart."""

import sqlite_utils

from tearsheet.stories import THRESHOLD, compute_stories, features, jaccard

from .corpora import demo_pieces, open_corpus, same_topic_pieces, store


def stories_of(db: sqlite_utils.Database) -> list[dict]:
    """Each story with its members' URLs, ready to compare (ids aside)."""
    found = []
    for story in db["stories"].rows_where(order_by="id"):
        members = db["story_members"].rows_where("story = ?", [story["id"]], order_by="article")
        found.append({**story, "members": [(m["article"], m["similarity"]) for m in members]})
    return found


def test_the_five_seed_retellings_form_one_story_with_reuters_as_origin(tmp_path) -> None:
    corpus = open_corpus(tmp_path / "corpus.db")
    pieces = demo_pieces()
    for piece in pieces:
        store(corpus, piece)
    report = compute_stories(corpus.db)
    [story] = stories_of(corpus.db)
    seeds = sorted(p.url for p in pieces if p.seed)
    assert [url for url, _ in story["members"]] == seeds
    wire = next(p for p in pieces if p.seed and p.site == "Wire Desk")
    assert story["origin"] == wire.url
    assert story["title"] == wire.title
    assert (story["origin_source"], story["method"], story["articles"]) == (
        "Reuters",
        "cited source",
        5,
    )
    assert (report.stories, report.members, report.articles) == (1, 5, 20)
    origin = corpus.db["story_members"].get((1, wire.url))
    assert (origin["is_origin"], origin["similarity"]) == (1, 1.0)


def test_first_published_is_the_earliest_instant_not_the_earliest_string(tmp_path) -> None:
    """Outlets write their own offsets: 10:35+08:00 comes before 04:02+00:00."""
    corpus = open_corpus(tmp_path / "corpus.db")
    for piece in demo_pieces():
        store(corpus, piece)
    compute_stories(corpus.db)
    [story] = corpus.db["stories"].rows
    assert story["first_published"] == "2024-04-22T10:35:00+08:00"


def test_stories_on_the_same_topic_stay_apart(tmp_path) -> None:
    corpus = open_corpus(tmp_path / "corpus.db")
    for piece in [*demo_pieces(), *same_topic_pieces()]:
        store(corpus, piece)
    compute_stories(corpus.db)
    [story] = stories_of(corpus.db)
    assert len(story["members"]) == 5
    assert not any("topic.example" in url for url, _ in story["members"])


def test_retellings_are_closer_than_same_topic_stories() -> None:
    """The margin the threshold sits in, measured on exact sets (not the MinHash estimate)."""
    seeds = [features(p.text) for p in demo_pieces() if p.seed]
    others = [features(p.text) for p in same_topic_pieces()]
    best_link = [max(jaccard(s, t) for t in seeds if t is not s) for s in seeds]
    assert min(best_link) > 2 * THRESHOLD
    assert max(jaccard(s, o) for s in seeds for o in others) < THRESHOLD


def test_a_copy_joins_its_original_and_a_stub_joins_nothing(tmp_path) -> None:
    """A few words would match anything on their topic: too short to place."""
    corpus = open_corpus(tmp_path / "corpus.db")
    original = demo_pieces()[1]
    store(corpus, original)
    copy = {**original.__dict__, "url": "https://copy.example/1", "site": "Copycat"}
    store(corpus, type(original)(**copy))
    stub = {**copy, "url": "https://stub.example/1", "text": " ".join(original.text.split()[:6])}
    store(corpus, type(original)(**stub))
    compute_stories(corpus.db)
    [story] = stories_of(corpus.db)
    assert [url for url, _ in story["members"]] == sorted([original.url, "https://copy.example/1"])
    assert story["method"] == "earliest published"
    assert story["origin_source"] is None


def test_recompute_gives_the_same_rows(tmp_path) -> None:
    corpus = open_corpus(tmp_path / "corpus.db")
    for piece in [*demo_pieces(), *same_topic_pieces()]:
        store(corpus, piece)
    compute_stories(corpus.db)
    tables = ("stories", "story_members", "story_signatures")
    first = {name: list(corpus.db[name].rows) for name in tables}
    compute_stories(corpus.db)
    assert {name: list(corpus.db[name].rows) for name in tables} == first
