"""Default extractor: trafilatura finds the article body, the page's declarations its metadata.

The page is parsed once (``Capture.page``): trafilatura works on its own copy while
the metadata and each line's origin (for the cleaners) are read from ours,
which is only read (copied first when hover cards are cut from it).
trafilatura runs in precision mode without comments; the cleaners then take
out what it still lets through. It runs in fast mode first: its comparison
with readability and jusText costs as much again and changes the result only
where the main extractor finds little, so the full cascade runs only then.
"""

from typing import TYPE_CHECKING

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.boilerplate import capture_walk
from tearsheet.cleaning.continuation import with_continuations
from tearsheet.cleaning.hidden import without_hover_cards
from tearsheet.cleaning.origin import PageText, article_blocks
from tearsheet.metadata import page_metadata
from tearsheet.plugins import hookimpl

if TYPE_CHECKING:
    from trafilatura.settings import Document


def _enough(document: "Document | None") -> bool:
    """Whether fast mode found as much text as trafilatura's own cascade asks of a stage."""
    from trafilatura.settings import DEFAULT_CONFIG

    least = DEFAULT_CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")
    return document is not None and document.body is not None and len(document.text or "") >= least


@hookimpl(trylast=True)
def extract_article(capture: Capture) -> Article | None:
    from trafilatura import bare_extraction

    if capture.page is None:
        return None
    page = without_hover_cards(capture.page)  # trafilatura works on a copy of its own
    document = None
    for fast in (True, False):
        document = bare_extraction(
            page, url=capture.url or None, include_comments=False, favor_precision=True, fast=fast
        )
        if _enough(document):
            break
    if document is None or document.body is None:
        return None
    # The page's text as template learning walked it, unless hover cards were cut.
    walked = PageText.of_walk(capture_walk(capture)) if page is capture.page else None
    blocks, main = article_blocks(document.body, page, walked)
    blocks = with_continuations(blocks, main, page)
    if not blocks:
        return None
    metadata = page_metadata(page, capture.url)
    return Article(
        url=capture.url,
        text="",
        title=metadata.title,
        authors=metadata.authors,
        published=metadata.published,
        language=metadata.language,
        site=metadata.site,
        description=metadata.description,
        canonical_url=metadata.canonical_url,
    ).set_blocks(blocks)
