"""Default extractor: trafilatura finds the article body and its metadata."""

import re

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.plugins import hookimpl

AUTHOR_SEPARATOR = re.compile(r"\s*;\s*")


@hookimpl(trylast=True)
def extract_article(capture: Capture) -> Article | None:
    from trafilatura import bare_extraction

    document = bare_extraction(
        capture.text,
        url=capture.url,
        include_comments=False,
        favor_precision=True,
        with_metadata=True,
    )
    if document is None or not (document.text or "").strip():
        return None
    return Article(
        url=capture.url,
        text=document.text,
        title=document.title,
        authors=split_authors(document.author),
        published=document.date,
        language=document.language,
        site=document.sitename,
        description=document.description,
    )


def split_authors(author: str | None) -> list[str]:
    """trafilatura joins several authors with '; '."""
    if not author:
        return []
    return [name for name in AUTHOR_SEPARATOR.split(author.strip()) if name]
