"""Cleaner ``clean_template``: lines the archive has learned as the site's template.

A line goes when its text and its place in the layout were learned as the
capture's site's template (see ``tearsheet.boilerplate``). Needs a corpus
to have learned from; a page extracted on its own (``extract_html``) passes
unchanged, and so does a line whose place is unknown (from an extractor
that does not record it).
"""

from typing import Any

import sqlite_utils

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.boilerplate import (
    blocks_to_learn,
    create_tables,
    learn_page,
    learned_blocks,
    merge_learned,
    normalise,
    site_of,
)
from tearsheet.cleaning.rules import drop_blocks
from tearsheet.plugins import hookimpl


@hookimpl
def prepare_corpus(db: sqlite_utils.Database) -> None:
    create_tables(db)


@hookimpl
def learn_capture(capture: Capture, corpus: Any) -> None:
    blocks = blocks_to_learn(corpus.db, capture)  # the parsing, before the write lock
    if blocks is not None:
        # Never waiting for another worker: an article cleaned before a block
        # was learned is cleaned again when the crawl ends (stale_articles).
        url = capture.url
        corpus.write_soon(lambda: learn_page(corpus.db, site_of(url), url, blocks), url)


@hookimpl
def merge_shard(db: sqlite_utils.Database, shard: str) -> None:
    merge_learned(db, shard)


@hookimpl
def clean_article(article: Article, capture: Capture, corpus: Any) -> Article | None:
    if corpus is None:
        return None
    template = learned_blocks(corpus.db, site_of(capture.url))
    if not template:
        return None
    return drop_blocks(
        article,
        lambda blocks: (
            index
            for index, block in enumerate(blocks)
            if (block.path, normalise(block.text)) in template
        ),
    )
