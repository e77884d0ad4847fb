"""tearsheet: archive the news into WARC files and a searchable SQLite corpus.

Importing the package stays cheap: Scrapy, Twisted and trafilatura load only
when a crawl or an extraction actually runs.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("tearsheet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from tearsheet.article import Article
    from tearsheet.plugins.hookspecs import hookimpl

__all__ = ["Article", "__version__", "extract_html", "hookimpl"]


def extract_html(html: bytes | str, url: str | None = None) -> "Article":
    """Run the default extract-and-clean chain on one page, with no network."""
    from tearsheet.processing import extract_html as _extract_html

    return _extract_html(html, url)


def __getattr__(name: str) -> Any:
    """Lazy names: ``python -m tearsheet`` imports this package before ``__main__``
    takes the current directory off ``sys.path``, so it imports nothing from outside."""
    if name == "Article":
        from tearsheet.article import Article

        return Article
    if name == "hookimpl":
        from tearsheet.plugins.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(name)
