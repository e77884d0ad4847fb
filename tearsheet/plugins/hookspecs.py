"""The hooks a tearsheet plugin can implement.

Each docstring here is the hook's documentation. Plugins mark their
implementations with ``tearsheet.hookimpl`` and need accept only the
arguments they use.
"""

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("tearsheet")
hookimpl = pluggy.HookimplMarker("tearsheet")


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``tearsheet`` click group ``cli``."""


@hookspec
def register_spiders(register: Any) -> None:
    """Add Scrapy spiders: call ``register(name, spider_class)`` for each."""


@hookspec
def crawl_settings(settings: dict[str, Any]) -> None:
    """Adjust the Scrapy settings of a crawl (a dict) before it starts.

    Add middlewares or pipelines, change limits or throttling here.
    """


@hookspec
def learn_capture(capture: Any, corpus: Any) -> None:
    """Learn from a capture before articles are extracted (a site's template, say).

    ``tearsheet extract`` calls it for every capture of the WARCs before it
    processes any; a crawl calls it as each capture arrives and, when it
    ends, processes again the articles that what it learned would change.
    Make it idempotent: the same capture may be seen twice. Write inside
    ``with corpus.transaction():`` and compute before it: a crawl's worker
    processes share the corpus, and the transaction holds its write lock.
    A write that may land a little later can go to
    ``corpus.write_soon(write, url)`` instead, which never waits for another
    worker: the template cleaner does so, its late counts covered by the
    crawl's cleaning again at its end.
    """


@hookspec(firstresult=True)
def classify_page(capture: Any) -> Any:
    """Say whether an HTML page is an ``"article"`` or a ``"hub"``, or None to pass.

    Hub pages (home, sections, tags, pagination) are archived but get no
    article row. It runs before extraction; the first answer wins, and the
    default rule (``tearsheet.pages``) answers last. A crawl's own URL
    patterns (``--article-pattern``, ``--hub-pattern``) come before any plugin.
    """


@hookspec(firstresult=True)
def extract_article(capture: Any) -> Any:
    """Turn an HTML capture into an ``Article``, or return None to pass.

    The first plugin that returns an Article wins; the trafilatura extractor
    runs last, so a site-specific extractor registered by a plugin goes first.
    """


@hookspec
def clean_article(article: Any, capture: Any, corpus: Any) -> Any:
    """Refine an extracted article; return the new ``Article`` or None.

    Cleaners run one after another, each on the previous one's result.
    Returning None keeps the article as it is (changes made in place count).
    ``corpus`` is the corpus being written, or None when a page is extracted
    on its own (``extract_html``); cleaners that learn from an archive read
    what they learned from it.
    """


@hookspec
def export_article(article: Any, capture: Any, corpus: Any) -> None:
    """Store a finished article: every exporter receives every article.

    ``corpus`` is the ``tearsheet.corpus.Corpus`` being written;
    ``corpus.db`` is its sqlite-utils Database. ``corpus.for_merge`` is true
    in a shard that ``extract --workers`` merges before anyone reads it: an
    exporter may leave out there what its ``merge_shard`` works out again
    (the stories plugin stores the article's signature and leaves placing it
    in a story to the merge).
    """


@hookspec
def merge_shard(db: Any, shard: str) -> None:
    """Copy this plugin's rows from a corpus shard into the corpus being merged into.

    ``tearsheet merge`` (and ``extract --workers``) attach each shard to
    ``db`` as schema ``shard`` (``select … from shard.articles``) and call
    this inside the shard's transaction, after the core tables (captures,
    errors, runs) are merged. Make it idempotent: merging a shard twice must
    add nothing. Stories are recomputed after the last shard, and full-text
    indexes rebuilt unless sqlite-utils' triggers (``enable_fts(...,
    create_triggers=True)``) keep them in step with the rows merged.
    """


@hookspec
def register_export_formats(register: Any) -> None:
    """Add formats to ``tearsheet export``: call ``register(name, writer)`` for each.

    ``writer(rows, out)`` writes an iterable of article dicts (lists already
    decoded from JSON) to the binary stream ``out``, streaming if it can.
    """


@hookspec
def prepare_corpus(db: Any) -> None:
    """Add tables, views, indexes or SQL functions to a corpus database.

    Called each time a corpus is opened for writing; make it idempotent.
    """
