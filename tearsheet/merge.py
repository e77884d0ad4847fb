"""Merging corpus shards into one corpus, as one process would have written it.

Shards are ordinary corpus databases: those ``extract --workers`` or
``--dask`` writes per chunk of WARC records, or those of crawl workers
sharing a queue.
Every row is keyed by what identifies it (a capture's WARC-Record-ID, an
error's id, an article's URL, a version's capture, a learned page's URL), so
merging a shard twice adds nothing. Each shard is merged in one transaction:
a merge that is cut off leaves whole shards merged or none of a shard.

The core tables (captures, errors, runs) are merged here; each plugin merges
its own tables through the ``merge_shard`` hook. Stories are recomputed (from
the signatures the shards computed) once all shards are in, and full-text
indexes that no triggers keep in step with their rows rebuilt.
"""

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pluggy
import sqlite_utils

from tearsheet.corpus import Corpus
from tearsheet.plugins.manager import get_plugin_manager
from tearsheet.stories import compute_stories

SHARD = "shard"  # the schema name a shard is attached under


class ShardError(ValueError):
    """A file given as a shard that is not a corpus database."""


@dataclass
class MergeReport:
    """What a merge did: shards merged, rows the target gained, shards refused."""

    shards: int = 0
    captures: int = 0
    errors: int = 0
    runs: int = 0
    articles: int = 0  # articles in the merged corpus
    stories: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def merge_corpora(
    shards: Iterable[Path],
    target: Path,
    manager: pluggy.PluginManager | None = None,
    on_shard: Callable[[Path], None] | None = None,
) -> MergeReport:
    """Merge the shards, in the order given, into the corpus at ``target`` (created if missing).

    Give shards in time order (the order of their WARC files): when two
    captures of one URL were fetched at the same second, the later shard's
    article is kept, as a single process keeps the later one it reads.
    A shard that is not a corpus is named in ``problems`` and an ``errors``
    row; the others are merged. ``shards`` may yield each shard as it is
    written, so merging goes on while later ones are made.
    """
    manager = manager or get_plugin_manager()
    corpus = Corpus(target)
    report = MergeReport()
    try:
        db = corpus.db
        manager.hook.prepare_corpus(db=db)
        for shard in shards:
            if on_shard is not None:
                on_shard(shard)
            try:
                _check_shard(shard, target)
            except ShardError as exc:
                report.problems.append(str(exc))
                with corpus.transaction():
                    corpus.add_error(str(shard), "merge", "bad_shard", str(exc))
                continue
            with attached(db, shard), corpus.transaction():
                report.captures += _merge_core(db, report)
                manager.hook.merge_shard(db=db, shard=SHARD)
            report.shards += 1
        if db["stories"].exists():
            report.stories = compute_stories(db, stored_signatures=True).stories
        for table in db.tables:
            fts = table.detect_fts()
            if fts and fts != table.name and not _indexed_by_triggers(table):
                table.rebuild_fts()
        if db["articles"].exists():
            report.articles = db["articles"].count
    finally:
        corpus.close()
    return report


def _indexed_by_triggers(table: sqlite_utils.db.Table) -> bool:
    """Whether sqlite-utils' triggers keep the table's full-text index in step with its rows.

    Merged rows then are in the index already; rebuilding it would read
    every row of the corpus at every merge.
    """
    names = {trigger.name for trigger in table.triggers}
    return {f"{table.name}_{event}" for event in ("ai", "ad", "au")} <= names


@contextmanager
def attached(db: sqlite_utils.Database, path: Path) -> Iterator[str]:
    """Attach a shard as schema ``shard`` for the length of the block."""
    db.execute(f"attach database ? as {SHARD}", [str(path)])
    try:
        yield SHARD
    finally:
        db.execute(f"detach database {SHARD}")


def shard_columns(db: sqlite_utils.Database, shard: str, table: str) -> list[str]:
    """The columns of a table in an attached shard; empty if the shard has no such table."""
    return [row[1] for row in db.execute(f"pragma {shard}.table_info([{table}])")]


def _check_shard(shard: Path, target: Path) -> None:
    if not shard.is_file():
        raise ShardError(f"{shard}: no such file")
    if target.exists() and shard.resolve() == target.resolve():
        raise ShardError(f"{shard}: is the corpus being merged into")
    try:
        with sqlite3.connect(f"{shard.resolve().as_uri()}?mode=ro", uri=True) as connection:
            found = connection.execute(
                "select 1 from sqlite_master where type = 'table' and name = 'captures'"
            ).fetchone()
        connection.close()
    except sqlite3.DatabaseError as exc:
        raise ShardError(f"{shard}: not a corpus database ({exc})") from exc
    if found is None:
        raise ShardError(f"{shard}: not a corpus database (it has no captures table)")


def _merge_core(db: sqlite_utils.Database, report: MergeReport) -> int:
    """Captures, errors and runs the target lacks; returns the captures added."""
    added = _insert_missing(db, "captures", "warc_record_id")
    report.errors += _insert_missing(db, "errors", "id")
    columns = ["command", "options", "started_at", "finished_at", "stats"]
    if set(columns) <= set(shard_columns(db, SHARD, "runs")):
        names = ", ".join(columns)
        report.runs += db.execute(
            f"insert into runs ({names}) select {names} from {SHARD}.runs as s where not exists"
            " (select 1 from runs as r where r.command is s.command"
            " and r.options is s.options and r.started_at is s.started_at)"
        ).rowcount
    return added


def _insert_missing(db: sqlite_utils.Database, table: str, key: str) -> int:
    """Copy the shard's rows whose key the target lacks, in the columns both have."""
    theirs = shard_columns(db, SHARD, table)
    if key not in theirs:
        return 0
    ours = set(db[table].columns_dict)
    names = ", ".join(f"[{name}]" for name in theirs if name in ours)
    return db.execute(
        f"insert into [{table}] ({names}) select {names} from {SHARD}.[{table}] where true"
        f" on conflict ([{key}]) do nothing"
    ).rowcount
