"""Corpus writes that may come late never wait for another process's transaction."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tearsheet.corpus import KEPT_WRITES_BATCH, Corpus


def note(corpus: Corpus, text: str) -> None:
    corpus.db.execute("insert into notes (text) values (?)", [text])


def notes(path: Path) -> list[str]:
    with sqlite3.connect(path) as reader:
        return [row[0] for row in reader.execute("select text from notes order by rowid")]


@contextmanager
def another_writer(path: Path) -> Iterator[None]:
    """Another process's transaction holding the write lock, as a worker writing its batch."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("begin immediate")
    try:
        yield
    finally:
        other.execute("commit")
        other.close()


@pytest.fixture
def corpus(tmp_path: Path):
    corpus = Corpus(tmp_path / "corpus.db")
    corpus.db.execute("create table notes (text text)")
    corpus.db.commit()
    yield corpus
    corpus.close()


def test_a_write_soon_is_committed_at_once_when_nobody_writes(corpus) -> None:
    corpus.write_soon(lambda: note(corpus, "learned"))
    assert notes(corpus.path) == ["learned"]


def test_a_write_soon_waits_for_no_other_writer_and_goes_in_with_the_next_transaction(
    corpus,
) -> None:
    with another_writer(corpus.path):
        corpus.write_soon(lambda: note(corpus, "learned"))  # waiting, it would block here
    assert notes(corpus.path) == []
    with corpus.transaction():
        note(corpus, "batch")
    assert notes(corpus.path) == ["learned", "batch"]


def test_kept_writes_outlive_a_transaction_that_rolled_back(corpus) -> None:
    with another_writer(corpus.path):
        corpus.write_soon(lambda: note(corpus, "learned"))
    with pytest.raises(RuntimeError), corpus.transaction():
        note(corpus, "lost")
        raise RuntimeError("the batch failed")
    assert notes(corpus.path) == []
    with corpus.transaction():
        pass
    assert notes(corpus.path) == ["learned"]


def test_closing_writes_what_was_kept(corpus) -> None:
    with another_writer(corpus.path):
        corpus.write_soon(lambda: note(corpus, "learned"))
    corpus.close()
    assert notes(corpus.path) == ["learned"]


def test_a_kept_write_that_fails_is_recorded_and_the_transaction_goes_on(corpus) -> None:
    def broken() -> None:
        note(corpus, "half")
        raise ValueError("no such site")

    with another_writer(corpus.path):
        corpus.write_soon(broken, "https://example.com/a")
        corpus.write_soon(lambda: note(corpus, "learned"))
    with corpus.transaction():
        note(corpus, "batch")
    assert notes(corpus.path) == ["learned", "batch"]  # the failed write's part undone
    [error] = corpus.db["errors"].rows
    assert (error["url"], error["stage"], error["kind"]) == (
        "https://example.com/a",
        "write",
        "kept_write_failed",
    )
    assert "ValueError: no such site" in error["message"]


def test_kept_writes_commit_a_batch_at_a_time_and_all_when_the_block_ends(corpus) -> None:
    with corpus.keeping_writes():
        for number in range(KEPT_WRITES_BATCH - 1):
            corpus.write_soon(lambda number=number: note(corpus, f"page {number}"))
        assert notes(corpus.path) == []  # one commit for the batch, not one a page
        corpus.write_soon(lambda: note(corpus, "batch full"))
        assert len(notes(corpus.path)) == KEPT_WRITES_BATCH
        corpus.write_soon(lambda: note(corpus, "last"))
        assert notes(corpus.path)[-1] == "batch full"
    assert notes(corpus.path)[-1] == "last"
    corpus.write_soon(lambda: note(corpus, "after"))  # at once again
    assert notes(corpus.path)[-1] == "after"
