"""Default plugin ``stories``: same-story groups, kept current as a crawl stores articles.

``tearsheet stories ARCHIVE_DIR`` recomputes every story; during a crawl or
an extraction each stored article is placed at once, against an LSH index
kept for the corpus being written.
"""

import weakref
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from tearsheet.merge import shard_columns
from tearsheet.plugins import hookimpl
from tearsheet.stories import StoryIndex, compute_stories, create_tables, store_signature

# One index per open corpus: rebuilt from stored signatures once, not per article.
_indexes: "weakref.WeakKeyDictionary[Any, StoryIndex]" = weakref.WeakKeyDictionary()


@hookimpl(trylast=True)
def prepare_corpus(db: sqlite_utils.Database) -> None:
    if db["articles"].exists():  # the stories tables link to it
        create_tables(db)


@hookimpl(trylast=True)
def export_article(article: Any, corpus: Any) -> None:
    """Runs after the SQLite exporter, so the stored row (not a stale capture) is placed."""
    if not corpus.db["articles"].exists():
        return
    if getattr(corpus, "for_merge", False):  # the merge places it, from its signature
        create_tables(corpus.db)
        store_signature(corpus.db, article.url)
        return
    index = _indexes.get(corpus)
    if index is None or index.db is not corpus.db:
        index = _indexes[corpus] = StoryIndex(corpus.db)
    index.assign(article.url)


@hookimpl(trylast=True)
def merge_shard(db: sqlite_utils.Database, shard: str) -> None:
    """Keep the signatures of the shard's articles that the merge kept, not to hash them again.

    Runs after the SQLite exporter has merged the articles; the stories
    themselves are recomputed once every shard is in. A kept article the
    shard has no signature for (too few words) loses the one an earlier
    shard gave its URL: a signature stays that of the article's text.
    """
    if not shard_columns(db, shard, "story_signatures") or not db["articles"].exists():
        return
    create_tables(db)
    kept = "join articles as kept on kept.url = a.url and kept.capture = a.capture"
    db.execute(
        f"insert into story_signatures (article, signature) select s.article, s.signature"
        f" from {shard}.story_signatures as s join {shard}.articles as a on a.url = s.article"
        f" {kept} where true on conflict (article) do update set signature = excluded.signature"
    )
    db.execute(
        f"delete from story_signatures where article in (select a.url from {shard}.articles as a"
        f" {kept} where a.url not in (select article from {shard}.story_signatures))"
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command()
    @click.argument("archive_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def stories(archive_dir: Path) -> None:
        """Group the articles that tell the same story and mark each story's origin."""
        from tearsheet.corpus import CORPUS_NAME, Corpus

        path = archive_dir / CORPUS_NAME
        if not path.exists():
            raise click.UsageError(
                f"{archive_dir} has no {CORPUS_NAME}; `tearsheet extract` builds it"
            )
        corpus = Corpus(path)
        try:
            if not corpus.db["articles"].exists():
                raise click.ClickException(f"{path} has no articles table")
            run_id = corpus.start_run("stories", {"archive_dir": str(archive_dir)})
            report = compute_stories(corpus.db)
            corpus.finish_run(
                run_id,
                {"articles": report.articles, "stories": report.stories, "members": report.members},
            )
        finally:
            corpus.close()
        click.echo(
            f"{report.stories} stories of {report.members} articles"
            f" ({report.articles} articles compared) in {path}",
            err=True,
        )
