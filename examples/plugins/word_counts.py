"""Example of a plugin with its own table: words per article, linked to ``articles``."""

import re

from tearsheet import hookimpl

WORD = re.compile(r"\w+")


@hookimpl
def prepare_corpus(db):
    if not db["word_counts"].exists():
        db["word_counts"].create(
            {"url": str, "words": int}, pk="url", foreign_keys=[("url", "articles", "url")]
        )


@hookimpl(trylast=True)
def export_article(article, corpus):
    corpus.db["word_counts"].upsert(
        {"url": article.url, "words": len(WORD.findall(article.text))}, pk="url"
    )
