"""tearsheet's Datasette plugin: read an article, its versions, its story and its WARC record.

Datasette shows rows; a researcher wants to read an article as it ran, see
how it changed, find the same story in other outlets and check it against
the archived original. The article page (``/-/article?url=…``) gathers
that; ``/-/record?capture=…`` hands out the capture's WARC record as it
is in the archive. Text from crawled pages is only ever escaped into HTML:
nothing an archived page holds runs in the reader's browser.

Setting (``plugins: tearsheet:`` in Datasette's metadata): ``pywb_url``, a
pywb collection's base URL (``http://127.0.0.1:8080/news/``) to replay
originals in; without it the original is a download of its WARC record.
"""

import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from datasette import hookimpl
from datasette.database import Database, QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args, tilde_decode
from datasette.utils.asgi import NotFound, Request, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
CHUNK = 64 * 1024


@hookimpl
def prepare_jinja2_environment(env: Environment) -> None:
    """Our templates after the user's and Datasette's, so a --template-dir can override them."""
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/article(?P<format>\.json)?$", article_page),
        (r"^/-/record$", record_download),
    ]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """Links to the plugin's pages from the rows a researcher scans.

    An article's title (in its table and in canned queries) opens its reading
    page; a capture's WARC file name downloads its record.
    """
    keys = row.keys() if hasattr(row, "keys") else []
    if not isinstance(value, str):
        return None
    if column == "title" and table in ("articles", None) and "url" in keys and row["url"]:
        href = article_href(datasette, str(row["url"]))
        return Markup('<a href="{}">{}</a>').format(href, value)
    if column == "warc_file" and table == "captures" and "warc_record_id" in keys:
        href = record_href(datasette, row["warc_record_id"])
        return Markup('{} (<a href="{}">download the record</a>)').format(value, href)
    return None


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Check a table search before Datasette runs it: bad syntax gets advice, not a traceback.

    Datasette would answer a MATCH that FTS5 cannot parse with a 400 error page
    and print its traceback; the check answers first, quietly.
    """

    def wrap(app: Any) -> Any:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http" and b"_search" in scope.get("query_string", b""):
                advice = await search_advice(datasette, Request(scope, receive))
                if advice is not None:
                    await advice.asgi_send(send)
                    return
            await app(scope, receive, send)

        return checked

    return wrap


async def search_advice(datasette: Any, request: Request) -> Response | None:
    """The advice page when ``_search`` on a table is FTS5 syntax its index cannot read."""
    search = request.args.get("_search")
    mode = request.args.get("_searchmode")
    if not search or mode == "escaped":
        return None
    path = request.path.removeprefix(datasette.setting("base_url").rstrip("/"))
    parts = path.strip("/").split("/")
    if len(parts) != 2:
        return None
    db = datasette.databases.get(tilde_decode(parts[0]))
    table = tilde_decode(parts[1].removesuffix(".json"))
    if db is None or not await db.table_exists(table):
        return None
    fts = await db.fts_table(table)
    table_metadata = datasette.table_metadata(db.name, table) or {}
    if fts is None or (mode != "raw" and table_metadata.get("searchmode") != "raw"):
        return None
    sql = f"select count(*) from (select rowid from [{fts}] where [{fts}] match ? limit 1)"
    try:
        await db.execute_fn(lambda conn: conn.execute(sql, [search]).fetchall())
    except sqlite3.OperationalError as exc:
        return await advice_response(datasette, request, search, str(exc))
    return None


async def advice_response(datasette: Any, request: Request, search: str, problem: str) -> Response:
    retry = [(k, v) for k, v in parse_qsl(request.query_string) if k != "_searchmode"]
    retry_url = f"{request.path}?{urlencode([*retry, ('_searchmode', 'escaped')])}"
    if request.path.endswith(".json"):
        message = (
            f"Search syntax not understood: {search!r} ({problem}). Put a phrase in double "
            'quotes ("rocket attack"), end a prefix with * (rocket*), join words with AND, OR '
            "or NOT, or search for the words as they are."
        )
        body = {"ok": False, "error": message, "status": 400, "title": "Search syntax"}
        return Response.json(body | {"retry": retry_url}, status=400)
    await datasette.invoke_startup()  # the wrapper can answer before Datasette's first request
    html = await datasette.render_template(
        "tearsheet_search_error.html",
        {"search": search, "problem": problem, "retry_url": retry_url},
        request=None,  # outside Datasette's CSRF middleware: no token, and no form needs one
    )
    return Response.html(html, status=400)


def article_href(datasette: Any, url: str) -> str:
    return datasette.urls.path("/-/article?" + urlencode({"url": url}))


def record_href(datasette: Any, capture: str) -> str:
    return datasette.urls.path("/-/record?" + urlencode({"capture": capture}))


async def corpus_database(datasette: Any, request: Request) -> Database:
    """The database named by ?db=, else the first one holding articles."""
    names = [request.args["db"]] if request.args.get("db") else list(datasette.databases)
    for name in names:
        db = datasette.databases.get(name)
        if db is not None and await db.table_exists("articles"):
            return db
    raise NotFound("No tearsheet corpus (a database with an articles table) is served here")


async def rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


async def article_page(datasette: Any, request: Request) -> Response:
    """One article, readable: metadata, text, story, versions with a diff, the original."""
    url = request.args.get("url")
    if not url:
        raise NotFound("Give the article's URL: /-/article?url=…")
    db = await corpus_database(datasette, request)
    found = await rows(db, "select * from articles where url = ?", [url])
    if not found:
        raise NotFound(f"No article with URL {url} in this corpus")
    context = await article_context(datasette, db, found[0])
    if request.url_vars.get("format") == ".json":
        return Response.json(context)
    html = await datasette.render_template(
        "tearsheet_article.html", context | {"database": db.name}, request=request
    )
    return Response.html(html)


async def article_context(datasette: Any, db: Database, article: dict[str, Any]) -> dict[str, Any]:
    url = article["url"]
    pywb = (datasette.plugin_config("tearsheet") or {}).get("pywb_url")
    capture = await capture_links(datasette, db, article.get("capture"), pywb)
    versions = []
    if await db.table_exists("versions"):  # a corpus from an older tearsheet has none
        versions = await rows(
            db,
            "select capture, fetched_at, title from versions where url = ? order by fetched_at",
            [url],
        )
    for version in versions:
        version["record"] = record_href(datasette, version["capture"])
    return {
        "article": {
            **{key: article.get(key) for key in ("url", "title", "site", "published")},
            **{key: article.get(key) for key in ("language", "description", "canonical_url")},
            **{key: json_list(article.get(key)) for key in ("authors", "editors", "sources")},
            "paragraphs": [line for line in (article.get("text") or "").split("\n") if line],
            "live_url": url if urlsplit(url).scheme in ("http", "https") else None,
        },
        "capture": capture,
        "versions": versions,
        "diff": await version_diff(db, url) if len(versions) >= 2 else [],
        "story": await story_of(datasette, db, url),
    }


def json_list(value: Any) -> list[str]:
    """Authors, editors and sources are JSON lists; an older corpus may hold plain text."""
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(item) for item in parsed] if isinstance(parsed, list) else [str(parsed)]


async def capture_links(
    datasette: Any, db: Database, capture_id: str | None, pywb: str | None
) -> dict[str, Any] | None:
    """Where the archived original is: pywb replay when configured, the WARC record always."""
    if not capture_id:
        return None
    found = await rows(db, "select * from captures where warc_record_id = ?", [capture_id])
    if not found:
        return None
    capture = found[0]
    body_id = capture.get("refers_to") if capture.get("record_type") == "revisit" else None
    stamp = re.sub(r"\D", "", capture.get("fetched_at") or "")[:14]
    return {
        "id": capture_id,
        "url": capture["url"],
        "fetched_at": capture.get("fetched_at"),
        "warc_file": capture.get("warc_file"),
        "record": record_href(datasette, capture_id),
        "original_record": record_href(datasette, body_id) if body_id else None,
        "replay": f"{pywb.rstrip('/')}/{stamp}/{capture['url']}" if pywb and stamp else None,
    }


async def version_diff(db: Database, url: str) -> list[dict[str, str]]:
    """The last two versions' unified diff, line by line with its kind for styling."""
    import sqlite_utils

    from tearsheet.versions import diff

    text = await db.execute_fn(lambda conn: diff(sqlite_utils.Database(conn), url))
    kinds = {"+": "added", "-": "removed", "@": "hunk"}
    return [{"kind": line_kind(line, kinds), "line": line} for line in text.splitlines()]


def line_kind(line: str, kinds: dict[str, str]) -> str:
    return "file" if line[:3] in ("+++", "---") else kinds.get(line[:1], "same")


async def story_of(datasette: Any, db: Database, url: str) -> dict[str, Any] | None:
    """The article's story and the other outlets' articles telling it, if stories exist."""
    if not (await db.table_exists("stories") and await db.table_exists("story_members")):
        return None
    found = await rows(
        db,
        "select stories.* from stories join story_members on story_members.story = stories.id"
        " where story_members.article = ? order by stories.id limit 1",
        [url],
    )
    if not found:
        return None
    story = found[0]
    members = await rows(
        db,
        "select articles.url, articles.title, articles.site, articles.published,"
        " story_members.similarity, story_members.is_origin from story_members"
        " join articles on articles.url = story_members.article"
        " where story_members.story = ? and story_members.article != ?"
        " order by story_members.is_origin desc, articles.published",
        [story["id"], url],
    )
    for member in members:
        member["href"] = article_href(datasette, member["url"])
    return {"id": story["id"], "title": story.get("title"), "members": members}


async def record_download(datasette: Any, request: Request) -> Response:
    """The capture's WARC record, bytes as archived: a .warc.gz of one record."""
    capture_id = request.args.get("capture")
    if not capture_id:
        raise NotFound("Give the capture's WARC record id: /-/record?capture=…")
    db = await corpus_database(datasette, request)
    found = await rows(
        db,
        "select warc_file, warc_offset, warc_length from captures where warc_record_id = ?",
        [capture_id],
    )
    if not found:
        raise NotFound(f"No capture {capture_id} in this corpus")
    if db.path is None:
        raise NotFound("This corpus is not a file next to its WARC files")
    capture = found[0]
    path = warc_path(Path(db.path).parent / "warc", capture["warc_file"])
    offset, length = capture["warc_offset"], capture["warc_length"]
    if path is None or offset is None or not length:
        raise NotFound(f"The WARC record of capture {capture_id} is not in this archive")
    suffix = ".warc.gz" if path.name.endswith(".gz") else ".warc"
    name = re.sub(r"[^A-Za-z0-9-]", "", capture_id.removeprefix("<urn:uuid:")) or "record"

    headers = {
        "content-type": "application/warc",
        "content-disposition": f'attachment; filename="{name}{suffix}"',
        "x-content-type-options": "nosniff",
        "content-length": str(length),
    }
    return RecordStream(path, offset, length, headers)


class RecordStream:
    """A byte range of a WARC file sent in chunks: a record can be larger than memory likes."""

    def __init__(self, path: Path, offset: int, length: int, headers: dict[str, str]) -> None:
        self.path, self.offset, self.length, self.headers = path, offset, length, headers

    async def asgi_send(self, send: Any) -> None:
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        with self.path.open("rb") as warc:
            warc.seek(self.offset)
            left = self.length
            while left > 0 and (chunk := warc.read(min(CHUNK, left))):
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
        if left > 0:  # the file ended early: close the body rather than hang
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def warc_path(folder: Path, name: Any) -> Path | None:
    """ARCHIVE_DIR/warc/NAME when NAME is a plain file name there: no path, no dot-files."""
    if not isinstance(name, str) or not name or name.startswith("."):
        return None
    if name != Path(name).name or "/" in name or "\\" in name or "\x00" in name:
        return None
    path = folder / name
    if not path.is_file() or path.resolve().parent != folder.resolve():
        return None
    return path


# Articles by story: a facet and the filter its values toggle (?_story=ID).


@hookimpl
def filters_from_request(request: Request, database: str, table: str, datasette: Any) -> Any:
    story = request.args.get("_story")
    if table != "articles" or not story:
        return None

    async def inner() -> FilterArguments | None:
        if not await datasette.get_database(database).table_exists("story_members"):
            return None
        return FilterArguments(
            ["url in (select article from story_members where story = :tearsheet_story)"],
            {"tearsheet_story": story},
            [f"in story {story}"],
        )

    return inner


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [StoryFacet]


class StoryFacet(Facet):
    """How many of the listed articles tell each story; a value shows that story's articles."""

    type = "story"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        db = self.ds.get_database(self.database)
        if self.table != "articles" or not self.get_configs():
            return [], []
        if not (await db.table_exists("story_members") and await db.table_exists("stories")):
            return [], []
        size = self.get_facet_size()
        sql = (
            "select story_members.story as value, stories.title as label, count(*) as count"
            f" from ({self.sql}) as listed"
            " join story_members on story_members.article = listed.url"
            " left join stories on stories.id = story_members.story"
            f" group by story_members.story order by count desc, value limit {size + 1}"
        )
        try:
            found = await self.ds.execute(
                self.database,
                sql,
                self.params,
                truncate=False,
                custom_time_limit=self.ds.setting("facet_time_limit_ms"),
            )
        except QueryInterrupted:
            return [], ["story"]
        chosen = self.request.args.get("_story")
        values = []
        for row in found.rows[:size]:
            selected = str(row["value"]) == chosen
            toggle = (
                path_with_removed_args(self.request, {"_story": chosen})
                if selected
                else path_with_added_args(self.request, {"_story": str(row["value"])})
            )
            values.append(
                {
                    "value": row["value"],
                    "label": row["label"] or row["value"],
                    "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
                    "selected": selected,
                }
            )
        facet = {
            "name": "story",
            "type": self.type,
            "hideable": False,
            "toggle_url": self.ds.urls.path(self.request.path),
            "results": values,
            "truncated": len(found.rows) > size,
        }
        return [facet], []
