"""Example extractor: boilerpy3's ArticleExtractor instead of trafilatura.

Needs the optional extra: ``pip install 'tearsheet[boilerpy3]'``. It runs
before the default extractor (``tryfirst``) and passes (returns None) on
pages where it finds no text, so trafilatura still gets those.
"""

from tearsheet import Article, hookimpl


@hookimpl(tryfirst=True)
def extract_article(capture):
    from boilerpy3 import extractors

    document = extractors.ArticleExtractor(raise_on_failure=False).get_doc(capture.text)
    text = (document.content or "").strip()
    if not text:
        return None
    return Article(url=capture.url, text=text, title=document.title)
