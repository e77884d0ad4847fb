"""The demo outlets' words, loaded from the package's ``content/*.json``.

The content travels as package data so an installed tearsheet can serve the
demo without the seed texts it was written from.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from typing import Any


@dataclass(frozen=True)
class Section:
    """A hub page that lists one section's articles."""

    key: str
    name: str
    path: str


@dataclass(frozen=True)
class Block:
    """One line of an article body: a paragraph, or a subheading inside the body."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class Story:
    """An article as written, before it has a host to live on."""

    path: str
    title: str
    section: Section
    published: datetime
    authors: tuple[str, ...]
    body: tuple[Block, ...]
    seed: str | None = None
    boilerplate: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields only one outlet's template uses (share counts, source credit...)."""


@dataclass(frozen=True)
class OutletContent:
    """One outlet: its name, template family, hub pages and stories."""

    key: str
    name: str
    tagline: str
    feed_path: str
    sections: tuple[Section, ...]
    stories: tuple[Story, ...]


_STORY_KEYS = {"path", "title", "section", "published", "authors", "body", "seed", "boilerplate"}


def _story(data: dict[str, Any], sections: dict[str, Section]) -> Story:
    body = tuple(
        Block(item["h2"], heading=True) if isinstance(item, dict) else Block(item)
        for item in data["body"]
    )
    return Story(
        path=data["path"],
        title=data["title"],
        section=sections[data["section"]],
        published=datetime.fromisoformat(data["published"]),
        authors=tuple(data.get("authors", ())),
        body=body,
        seed=data.get("seed"),
        boilerplate=tuple(data.get("boilerplate", ())),
        extra={k: v for k, v in data.items() if k not in _STORY_KEYS},
    )


def _outlet(data: dict[str, Any]) -> OutletContent:
    sections = {s["key"]: Section(s["key"], s["name"], s["path"]) for s in data["sections"]}
    stories = sorted(
        (_story(item, sections) for item in data["articles"]),
        key=lambda story: story.published,
        reverse=True,  # newest first, as home pages and feeds list them
    )
    return OutletContent(
        key=data["key"],
        name=data["name"],
        tagline=data["tagline"],
        feed_path=data["feed_path"],
        sections=tuple(sections.values()),
        stories=tuple(stories),
    )


def _seed_of(outlet: OutletContent) -> str:
    return min(story.seed for story in outlet.stories if story.seed)


def load_outlets() -> list[OutletContent]:
    """Every outlet, in the order of the seed text each one retells (000 to 004)."""
    folder = files("tearsheet.demo") / "content"
    outlets = [
        _outlet(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return sorted(outlets, key=_seed_of)
