"""Corpora for the stories tests, written straight into the articles table.

The demo's own words stand in for a crawl: stories only read ``articles``,
and building it directly keeps these tests fast.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from tearsheet.cleaning.sources import cited_names
from tearsheet.corpus import Corpus
from tearsheet.demo.content import load_outlets
from tearsheet.plugins.default import sqlite_exporter

TEXTS = Path(__file__).parent / "texts"


@dataclass(frozen=True)
class Piece:
    """An article as the stories code sees it."""

    url: str
    title: str
    site: str
    published: str
    text: str
    seed: bool = False


def demo_pieces() -> list[Piece]:
    """Every demo article: the five seed retellings and the fifteen other stories."""
    return [
        Piece(
            url=f"https://{outlet.key}.example{story.path}",
            title=story.title,
            site=outlet.name,
            published=story.published.isoformat(),
            text="\n".join(block.text for block in story.body),
            seed=story.seed is not None,
        )
        for outlet in load_outlets()
        for story in outlet.stories
    ]


def same_topic_pieces() -> list[Piece]:
    """Other attacks on US forces and bases in Iraq, Syria and Jordan: same topic, other story."""
    return [
        Piece(
            url=f"https://topic.example/{path.stem}",
            title=path.stem.replace("_", " "),
            site="Topic Times",
            published="2024-01-29T10:00:00+00:00",
            text=path.read_text(encoding="utf-8"),
        )
        for path in sorted(TEXTS.glob("*.txt"))
    ]


def open_corpus(path: Path) -> Corpus:
    corpus = Corpus(path)
    sqlite_exporter.prepare_corpus(corpus.db)
    return corpus


def store(corpus: Corpus, piece: Piece) -> None:
    """One articles row, sources recorded as the record_sources cleaner records them."""
    corpus.db["articles"].upsert(
        {
            "url": piece.url,
            "title": piece.title,
            "authors": "[]",
            "editors": "[]",
            "sources": json.dumps(cited_names(piece.text, exclude=[piece.site])),
            "published": piece.published,
            "site": piece.site,
            "text": piece.text,
        },
        pk="url",
    )
