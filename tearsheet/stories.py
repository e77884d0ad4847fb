"""Stories: the articles of several outlets that tell one story, and where it came from.

Outlets retell a wire story in their own words, so copies share few exact
sentences. An article is reduced to pairs of nearby content words (stop
words dropped, crude stems): a retelling keeps "rocket launcher", "truck …
Zummar", "al-Sudani … Biden" in some order, while another story on the same
topic shares the topic's vocabulary but few such pairs. One-permutation
MinHash signatures of these sets go into an LSH index that proposes candidates; a candidate is a
neighbour when the exact Jaccard similarity of the two sets reaches
``THRESHOLD``. A story is a connected group of neighbours, so a rewrite that
strays from one outlet's version still joins through another's.

Within a story the origin is the member the others cite (its site, or the
agency in its dateline, is in their ``sources``), failing that the earliest
published. ``compute_stories`` rebuilds every story; ``assign_story`` places
one newly stored article, which gives the groups a full rebuild gives.
"""

import hashlib
import json
import re
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
import sqlite_utils

from tearsheet.cleaning.sources import DATELINE
from tearsheet.corpus import upsert_row

NUM_PERM = 512
BANDS, ROWS = 256, 2  # a pair at similarity 0.08 is a candidate 4 times out of 5
SEED = 1  # fixed: the same corpus gives the same signatures and the same rows
WINDOW = 4  # words apart that still make a pair
THRESHOLD = 0.05  # retellings measured 0.08–0.19, same-topic stories at most 0.03
MIN_FEATURES = 20  # a stub of a few words would match anything on its topic
KEPT_FEATURE_BYTES = 8 * 2**20  # word pairs an index keeps: a hundred-outlet story's, 4 times

STOP_WORDS = frozenset(
    {"a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "by", "with", "and", "or"}
    | {"but", "as", "is", "was", "were", "be", "been", "being", "has", "have", "had", "it", "its"}
    | {"that", "this", "these", "those", "which", "who", "whom", "whose", "what", "said", "says"}
    | {"say", "told", "after", "before", "about", "over", "into", "than", "their", "his", "her"}
    | {"they", "he", "she", "we", "i", "you", "not", "no", "more", "most", "also", "while"}
    | {"when", "where", "there", "here", "then", "so", "if", "would", "could", "will", "can"}
    | {"may", "might", "should", "did", "do", "does", "up", "out", "off", "one", "two", "all"}
    | {"any", "some", "such", "other", "only", "just", "very"}
)
WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
SUFFIXES = ("ing", "ed", "es", "s")

_32 = np.uint64(32)
_EMPTY = np.uint64(2**64 - 1)


@dataclass
class StoriesReport:
    """What a computation found: articles hashed, stories kept and their members."""

    articles: int = 0
    stories: int = 0
    members: int = 0


def _stem(word: str) -> str:
    """A crude stem: "rockets", "fired" and "firing" meet their base form often enough."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1 << 14)
def _word_id(word: str) -> int | None:
    """A word's id, the CRC-32 of its stem, or None for a stop word.

    Cached for the common words; a larger cache held a worker's 13 MB of
    rare words for a hit rate of 0.68 against 0.64, at the same speed.
    """
    lower = word.lower()
    return None if lower in STOP_WORDS else zlib.crc32(_stem(lower.replace("’", "'")).encode())


def features(text: str) -> np.ndarray:
    """Unordered pairs of content words at most ``WINDOW`` words apart, as sorted 64-bit ids.

    A word is its CRC-32; a pair packs the smaller id above the larger, so
    the same two words give the same id in either order and in every process.
    """
    ids = [found for found in map(_word_id, WORD.findall(text or "")) if found is not None]
    words = np.array(ids, dtype=np.uint64)
    pairs = []
    for gap in range(1, WINDOW + 1):
        first, second = words[:-gap], words[gap:]
        pairs.append((np.minimum(first, second) << _32) | np.maximum(first, second))
    return _sorted_unique(np.concatenate(pairs))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique``'s result, five times as fast on these arrays: a sort, then a mask."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: spreads structured ids over all 64 bits."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def signature(found: np.ndarray) -> np.ndarray:
    """A one-permutation MinHash of ``NUM_PERM`` bins, densified (Shrivastava 2017).

    One hash per feature instead of ``NUM_PERM``: a feature falls in one bin
    and each bin keeps its smallest value; an empty bin borrows the value of
    the first filled bin that a hash sequence of its own lands on. Two sets
    agree in a bin about as often as their Jaccard similarity, as with
    ``NUM_PERM`` permutations, at a cost linear in the set.
    """
    mixed = _mix(found ^ np.uint64(SEED))
    bins, values = mixed % np.uint64(NUM_PERM), mixed // np.uint64(NUM_PERM)
    kept = np.full(NUM_PERM, _EMPTY, dtype=np.uint64)
    np.minimum.at(kept, bins.astype(np.intp), values)
    filled = kept != _EMPTY
    dense = kept.copy()
    todo = np.flatnonzero(~filled).astype(np.uint64)
    attempt = np.uint64(0)
    while todo.size and filled.any():
        attempt += np.uint64(1)
        with np.errstate(over="ignore"):
            source = (_mix(todo * np.uint64(NUM_PERM) + attempt) % np.uint64(NUM_PERM)).astype(
                np.intp
            )
        hit = filled[source]
        dense[todo[hit].astype(np.intp)] = kept[source[hit]]
        todo = todo[~hit]
    return (dense & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _to_blob(values: np.ndarray) -> bytes:
    """Bins are compared only for equality, so 32 bits of each do; a signature is 2 KB."""
    return values.astype("<u4").tobytes()


def _from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """Exact Jaccard similarity of two ``features`` arrays."""
    shared = len(np.intersect1d(first, second, assume_unique=True))
    union = len(first) + len(second) - shared
    return shared / union if union else 0.0


def create_tables(db: sqlite_utils.Database) -> None:
    """``stories``, ``story_members`` and ``story_signatures``, linked to ``articles``."""
    if not db["stories"].exists():
        db["stories"].create(
            {
                "id": int,
                "title": str,
                "origin": str,
                "origin_source": str,
                "method": str,
                "articles": int,
                "first_published": str,
            },
            pk="id",
            foreign_keys=[("origin", "articles", "url")],
        )
    if not db["story_members"].exists():
        db["story_members"].create(
            {"story": int, "article": str, "similarity": float, "is_origin": int},
            pk=("story", "article"),
            foreign_keys=[("story", "stories", "id"), ("article", "articles", "url")],
        )
        db["story_members"].create_index(["article"])
    if not db["story_signatures"].exists():
        db["story_signatures"].create(
            {"article": str, "signature": bytes},
            pk="article",
            foreign_keys=[("article", "articles", "url")],
        )


class _Graph:
    """Articles' signatures in an LSH index of ``BANDS`` bands of ``ROWS`` bins each.

    Two articles are candidates when they agree on every bin of some band.
    The index is one matrix of band keys, a row per article (1 KB), scanned
    whole per query: datasketch's MinHashLSH held 83 KB per article at 256
    bands (a bytes object and a set entry per band), 800 MB for 10,000
    articles, while a scan of 10,000 rows takes about 2 ms.
    """

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.keys = np.zeros((0, BANDS), dtype=np.uint32)
        self.alive = np.zeros(0, dtype=bool)
        self.urls: list[str] = []

    def add(self, url: str, values: np.ndarray) -> None:
        """Index an article's signature; one indexed already with the same keys keeps its row.

        A process reads back the signatures it stored itself along with the
        others' (``StoryIndex.refresh``): a new row for each would double the matrix.
        """
        keys = _band_keys(values)
        known = self.rows.get(url)
        if known is not None and np.array_equal(self.keys[known], keys):
            return
        self.remove(url)
        row = len(self.urls)
        if row == len(self.keys):  # grow by doubling: appends stay cheap
            self.keys = _grown(self.keys, max(64, 2 * row))
            self.alive = _grown(self.alive, max(64, 2 * row))
        self.keys[row] = keys
        self.alive[row] = True
        self.urls.append(url)
        self.rows[url] = row

    def remove(self, url: str) -> None:
        row = self.rows.pop(url, None)
        if row is not None:
            self.alive[row] = False

    def candidates(self, url: str) -> list[str]:
        if url not in self.rows:
            return []
        count = len(self.urls)
        query = self.keys[self.rows[url]]
        hits = (self.keys[:count] == query).any(axis=1) & self.alive[:count]
        return sorted({self.urls[row] for row in np.flatnonzero(hits)} - {url})


def _band_keys(values: np.ndarray) -> np.ndarray:
    """A 32-bit key per band of two bins (``ROWS`` is 2).

    Two bands collide by chance once in 4 billion: a rare extra candidate,
    which the exact similarity then turns away.
    """
    bins = values.astype(np.uint64).reshape(BANDS, ROWS)
    return (_mix((bins[:, 0] << _32) | bins[:, 1]) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _grown(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` with room for ``rows``; the new rows take memory only once written."""
    grown = np.zeros((rows, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _components(urls: Iterable[str], edges: dict[str, set[str]]) -> list[set[str]]:
    seen: set[str] = set()
    groups = []
    for start in sorted(urls):
        if start in seen:
            continue
        group, todo = set(), [start]
        while todo:
            url = todo.pop()
            if url not in group:
                group.add(url)
                todo.extend(edges.get(url, ()))
        seen |= group
        groups.append(group)
    return groups


def _edges(graph: _Graph, urls: set[str], sets: dict[str, np.ndarray]) -> dict[str, set[str]]:
    """Neighbours within ``urls``: LSH candidates whose exact similarity reaches THRESHOLD."""
    edges: dict[str, set[str]] = {url: set() for url in urls}
    compared: set[tuple[str, str]] = set()
    for url in sorted(urls):
        for other in graph.candidates(url):
            pair = (url, other) if url < other else (other, url)
            if other not in urls or pair in compared:
                continue
            compared.add(pair)  # each pair once: the similarity is symmetric
            if jaccard(sets[url], sets[other]) >= THRESHOLD:
                edges[url].add(other)
                edges[other].add(url)
    return edges


class _Features(dict[str, np.ndarray]):
    """Articles' ``features`` by URL, each worked out when first asked for."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        super().__init__()
        self.db = db

    def __missing__(self, url: str) -> np.ndarray:
        row = self.db.execute("select text from articles where url = ?", [url]).fetchone()
        found = self[url] = features(row[0] if row else "")
        return found


class _FeatureCache:
    """The ``features`` of recently compared articles, by URL and a digest of their text.

    A new member of a story is compared with every member, and the story's
    record with its origin: without this, each arrival would split every
    member's text into word pairs again (a story carried by a hundred sites
    took a third of a crawl's extraction time). Keyed by the text's digest
    too, so an article rewritten by another process is never compared by
    its old words. Holds ``KEPT_FEATURE_BYTES`` of word pairs at most (an
    article of 750 words has about 2,500 pairs, 20 KB): several hundred
    articles.
    """

    def __init__(self, limit: int = KEPT_FEATURE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self.kept: OrderedDict[str, tuple[bytes, np.ndarray]] = OrderedDict()

    def put(self, url: str, text: str, found: np.ndarray) -> None:
        if url in self.kept:
            self.size -= self.kept.pop(url)[1].nbytes
        self.kept[url] = (_digest(text), found)
        self.size += found.nbytes
        while self.size > self.limit:
            self.size -= self.kept.popitem(last=False)[1][1].nbytes

    def of(self, rows: dict[str, dict]) -> dict[str, np.ndarray]:
        """The features of each article in ``rows`` (as ``_rows`` reads them), by URL."""
        found = {}
        for url, row in rows.items():
            text = row["text"] or ""
            kept = self.kept.get(url)
            if kept is not None and kept[0] == _digest(text):
                self.kept.move_to_end(url)
                found[url] = kept[1]
            else:
                found[url] = features(text)
                self.put(url, text, found[url])
        return found


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


# Origins


def _published_key(value: str | None) -> tuple[int, datetime]:
    """Sort key on the instant published (offsets differ by outlet); unknown dates last."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return (1, datetime.max.replace(tzinfo=UTC))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (0, moment.astimezone(UTC))


def _names_claimed(row: dict) -> set[str]:
    """Who an article speaks for: its site and the agency of its dateline ("(Reuters) -")."""
    names = {row["site"]} if row.get("site") else set()
    names |= {match.group("name") for match in DATELINE.finditer(row.get("text") or "")}
    return {name.lower() for name in names}


def _cited(row: dict) -> list[str]:
    try:
        sources = json.loads(row.get("sources") or "[]")
    except ValueError:
        return []
    return [name for name in sources if isinstance(name, str)]


def choose_origin(rows: list[dict]) -> tuple[dict, str | None, str]:
    """The origin member, the source it stands for (or None) and how it was chosen."""
    earliest = sorted(rows, key=lambda row: (_published_key(row["published"]), row["url"]))
    claimed = {row["url"]: _names_claimed(row) for row in rows}
    votes: dict[str, tuple[int, str]] = {}
    for row in rows:
        for name in {name.lower(): name for name in _cited(row)}.values():
            key = name.lower()
            claimants = [r for r in rows if key in claimed[r["url"]] and r is not row]
            if claimants:
                count, spelling = votes.get(key, (0, name))
                votes[key] = (count + 1, spelling)
    if votes:
        key = min(votes, key=lambda k: (-votes[k][0], k))
        origin = next(row for row in earliest if key in claimed[row["url"]])
        return origin, votes[key][1], "cited source"
    return earliest[0], None, "earliest published"


# Writing


def _rows(db: sqlite_utils.Database, urls: Iterable[str]) -> dict[str, dict]:
    wanted = sorted(set(urls))
    found: dict[str, dict] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.query(
            "select url, title, site, published, sources, text from articles"
            f" where url in ({marks})",
            chunk,
        ):
            found[row["url"]] = row
    return found


def _story_record(group: set[str], rows: dict[str, dict], sets: dict[str, np.ndarray]) -> dict:
    members = [rows[url] for url in sorted(group)]
    origin, source, method = choose_origin(members)
    first = min(members, key=lambda row: (_published_key(row["published"]), row["url"]))
    return {
        "story": {
            "title": origin["title"],
            "origin": origin["url"],
            "origin_source": source,
            "method": method,
            "articles": len(members),
            "first_published": first["published"],
        },
        "members": [
            {
                "article": row["url"],
                "similarity": round(jaccard(sets[row["url"]], sets[origin["url"]]), 4),
                "is_origin": int(row["url"] == origin["url"]),
            }
            for row in members
        ],
        "order": (_published_key(first["published"]), origin["url"]),
    }


def _write(db: sqlite_utils.Database, records: list[dict], ids: list[int]) -> None:
    for record, story_id in zip(records, ids, strict=True):
        db["stories"].insert({"id": story_id, **record["story"]})
        db["story_members"].insert_all(
            {"story": story_id, **member} for member in record["members"]
        )


def _delete_stories(db: sqlite_utils.Database, story_ids: Iterable[int]) -> None:
    for story_id in story_ids:
        db.execute("delete from story_members where story = ?", [story_id])
        db.execute("delete from stories where id = ?", [story_id])


# Entry points


def compute_stories(db: sqlite_utils.Database, stored_signatures: bool = False) -> StoriesReport:
    """(Re)compute every story from the ``articles`` table, replacing what was there.

    With ``stored_signatures``, an article's signature already in
    ``story_signatures`` is used, not hashed again: a merge keeps those its
    shards computed for the articles it kept. Such an article's words are
    then read only when the index proposes it as another's neighbour (only
    articles of ``MIN_FEATURES`` or more have a signature stored), which most
    articles, alone in their story, never are.
    """
    if not db["articles"].exists():
        raise LookupError("the database has no articles table; is it a tearsheet corpus?")
    create_tables(db)
    graph, sets = _Graph(), _Features(db)
    signatures = []
    stored = dict(db.execute("select article, signature from story_signatures").fetchall())
    for (url,) in db.execute("select url from articles order by url").fetchall():
        blob = stored.get(url) if stored_signatures else None
        if blob is not None:
            values = _from_blob(blob)
        elif len(sets[url]) >= MIN_FEATURES:
            values = signature(sets[url])
        else:
            continue
        graph.add(url, values)
        signatures.append({"article": url, "signature": _to_blob(values)})
    urls = set(graph.rows)
    groups = [g for g in _components(urls, _edges(graph, urls, sets)) if len(g) > 1]
    rows = _rows(db, {url for group in groups for url in group})
    records = sorted(
        (_story_record(group, rows, sets) for group in groups), key=lambda r: r["order"]
    )
    with db.atomic():  # readers see the old stories or the new, never none
        db.execute("delete from story_members")
        db.execute("delete from stories")
        db.execute("delete from story_signatures")
        db["story_signatures"].insert_all(signatures)
        _write(db, records, list(range(1, len(records) + 1)))
    return StoriesReport(len(urls), len(records), sum(len(g) for g in groups))


class StoryIndex:
    """The LSH index of a corpus's stored signatures, kept up to date as articles arrive.

    Built once from ``story_signatures`` (no text is hashed again), then
    ``assign_story`` updates it; a crawl keeps one for its whole run. Each
    assignment first reads the signatures other processes stored since (a
    crawl's worker processes share one corpus), so every article is compared
    with every other.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        create_tables(db)
        self.db = db
        self.graph = _Graph()
        self.seen_rowid = 0
        self.cache = _FeatureCache()
        self.refresh()

    def refresh(self) -> None:
        """Add the signatures stored since the index last looked."""
        rows = self.db.execute(
            "select rowid, article, signature from story_signatures where rowid > ? order by rowid",
            [self.seen_rowid],
        ).fetchall()
        for rowid, article, blob in rows:
            self.graph.add(article, _from_blob(blob))
            self.seen_rowid = rowid

    def assign(self, url: str) -> int | None:
        """Place the stored article ``url`` in its story (or none); return the story id.

        Only the stories it touches are rewritten. An article in no story yet
        can only add edges, from itself to its neighbours: their stories (a
        story is a connected group) merge around it, and no other pair of
        articles needs comparing again. An article that was in a story may
        have lost edges with its new text, so its old story is worked out
        afresh with those of its new neighbours.
        """
        self.refresh()
        own_ids = self._stories_of([url])
        found = self._index(url)
        if own_ids:
            return self._regroup(url, own_ids)
        return self._join(url, found)

    def _index(self, url: str) -> np.ndarray:
        """The article's words as compared; its signature stored and indexed, if it has one."""
        text, found, values = store_signature(self.db, url)
        self.cache.put(url, text, found)
        if values is not None:
            self.graph.add(url, values)
        else:
            self.graph.remove(url)
        return found

    def _join(self, url: str, found: np.ndarray) -> int | None:
        """An article new to the stories: one story of it, its neighbours and their stories."""
        if url not in self.graph.rows:
            return None
        rows = _rows(self.db, self.graph.candidates(url))
        sets = self.cache.of(rows)
        neighbours = [other for other, words in sets.items() if jaccard(found, words) >= THRESHOLD]
        if not neighbours:
            return None
        old_ids = self._stories_of(neighbours)
        group = {url, *neighbours, *self._members_of(old_ids)}
        rows.update(_rows(self.db, group - set(rows)))
        sets.update(self.cache.of({u: rows[u] for u in group - set(sets) if u in rows}))
        records = [_story_record(group, rows, sets)]
        ids = self._reuse_ids(records, old_ids)
        _delete_stories(self.db, old_ids)
        _write(self.db, records, ids)
        return ids[0]

    def _regroup(self, url: str, own_ids: list[int]) -> int | None:
        """An article that was in a story: that story and its new neighbours' regrouped."""
        db = self.db
        touched = {url, *self._members_of(own_ids), *self.graph.candidates(url)}
        old_ids = self._stories_of(touched)
        touched |= set(self._members_of(old_ids))
        rows = _rows(db, touched)
        sets = self.cache.of({u: row for u, row in rows.items() if u in self.graph.rows})
        groups = [g for g in _components(sets, _edges(self.graph, set(sets), sets)) if len(g) > 1]
        records = sorted((_story_record(g, rows, sets) for g in groups), key=lambda r: r["order"])
        ids = self._reuse_ids(records, old_ids)
        _delete_stories(db, old_ids)
        _write(db, records, ids)
        return next(
            (i for r, i in zip(records, ids, strict=True) if url in _urls(r)),
            None,
        )

    def _stories_of(self, urls: Iterable[str]) -> list[int]:
        wanted = sorted(set(urls))
        marks = ",".join("?" * len(wanted))
        return [
            row[0]
            for row in self.db.execute(
                f"select distinct story from story_members where article in ({marks})"
                " order by story",
                wanted,
            )
        ]

    def _members_of(self, story_ids: list[int]) -> list[str]:
        marks = ",".join("?" * len(story_ids))
        return [
            row[0]
            for row in self.db.execute(
                f"select article from story_members where story in ({marks})", story_ids
            )
        ]

    def _reuse_ids(self, records: list[dict], old_ids: list[int]) -> list[int]:
        """A story keeps its id as it grows; a merge keeps the smaller one."""
        members = {i: set(self._members_of([i])) for i in old_ids}
        next_id = (self.db.execute("select max(id) from stories").fetchone()[0] or 0) + 1
        ids, used = [], set()
        for record in records:
            urls = _urls(record)
            reused = next((i for i in old_ids if i not in used and members[i] & urls), None)
            if reused is None:
                reused, next_id = next_id, next_id + 1
            used.add(reused)
            ids.append(reused)
        return ids


def _urls(record: dict) -> set[str]:
    return {member["article"] for member in record["members"]}


def store_signature(
    db: sqlite_utils.Database, url: str
) -> tuple[str, np.ndarray, np.ndarray | None]:
    """Store the stored article's signature (or none: too few words); its text, words, signature."""
    row = db.execute("select text from articles where url = ?", [url]).fetchone()
    text = (row[0] or "") if row else ""
    found = features(text)
    if len(found) < MIN_FEATURES:
        db.execute("delete from story_signatures where article = ?", [url])
        return text, found, None
    values = signature(found)
    upsert_row(db, "story_signatures", {"article": url, "signature": _to_blob(values)}, "article")
    return text, found, values


def assign_story(
    db: sqlite_utils.Database, url: str, index: StoryIndex | None = None
) -> int | None:
    """Place one stored article in its story; pass a kept ``index`` to avoid rebuilding it."""
    return (index or StoryIndex(db)).assign(url)
