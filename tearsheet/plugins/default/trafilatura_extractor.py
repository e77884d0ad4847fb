"""Default extractor: trafilatura finds the article body, the page's declarations its metadata.

The page is parsed once: trafilatura works on its own copy of the tree while
the metadata and each line's origin (for the cleaners) are read from ours.
trafilatura runs in precision mode without comments; the cleaners then take
out what it still lets through.
"""

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.cleaning.continuation import with_continuations
from tearsheet.cleaning.hidden import drop_hover_cards
from tearsheet.cleaning.origin import article_blocks
from tearsheet.metadata import page_metadata
from tearsheet.plugins import hookimpl


@hookimpl(trylast=True)
def extract_article(capture: Capture) -> Article | None:
    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    page = load_html(capture.text)
    if page is None:
        return None
    drop_hover_cards(page)
    document = bare_extraction(
        page, url=capture.url or None, include_comments=False, favor_precision=True
    )
    if document is None or document.body is None:
        return None
    blocks, main = article_blocks(document.body, page)
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
