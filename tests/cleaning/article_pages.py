"""Realistic article pages for the cleaner tests, and the chain run with cleaners blocked.

The markup follows common CMS templates (WordPress themes, news sites):
header and navigation, an ``<article>`` with its headline and body, the
site footer. Each test adds the boilerplate it is about inside or around
the body, where such blocks leak into an extractor's output.
"""

import functools

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.plugins.manager import new_plugin_manager
from tearsheet.processing import page_capture, run_chain

URL = "https://www.riverside-courier.example/news/2024/04/22/flood-barrier-opens/"
TITLE = "Flood barrier opens after four years of work"
STORY = [
    "The river authority opened the new flood barrier on Monday after four years of work"
    " and a long argument over who would pay for the gates.",
    "Engineers said the barrier would protect about twelve thousand homes in the low town,"
    " where the river has broken its banks three times since 2010.",
    "Residents who had been flooded twice in a decade watched from the embankment as the"
    " steel gates swung shut for the first full test of the system.",
    "“We have waited a long time for this, and it is good to see it working,” said Maria"
    " Okafor, who runs a bakery on Water Street and lost her stock in the 2019 flood.",
    "The authority said the project came in slightly under its budget of 48 million pounds,"
    " thanks in part to a mild winter that let crews work without long interruptions.",
    "A second, smaller barrier further upstream is due to be finished next spring, when the"
    " authority will also publish a new map of the areas it considers at risk.",
]


def story_html(paragraphs: list[str] = STORY) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def news_page(
    body: str = "",
    *,
    before_body: str = "",
    after_article: str = "",
    head: str = "",
    title: str = TITLE,
    paragraphs: list[str] = STORY,
) -> str:
    """A news page: ``before_body`` and ``body`` go inside the article's body container."""
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{title} | The Riverside Courier</title>
<meta property="og:site_name" content="The Riverside Courier">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2024-04-22T09:30:00+01:00">
<meta name="author" content="Tom Hale">
{head}
</head><body class="post-template-default single single-post postid-5812">
<header class="site-header"><div class="site-branding"><a href="/">The Riverside Courier</a></div>
<nav class="main-navigation"><ul><li><a href="/news/">News</a></li>
<li><a href="/sport/">Sport</a></li><li><a href="/opinion/">Opinion</a></li></ul></nav></header>
<main id="main" class="site-main">
<article id="post-5812" class="post-5812 post type-post status-publish category-news">
<header class="entry-header"><h1 class="entry-title">{title}</h1>
<div class="entry-meta"><span class="byline">By <a href="/author/tom-hale/">Tom Hale</a></span>
<time class="entry-date" datetime="2024-04-22T09:30:00+01:00">22 April 2024</time></div></header>
<div class="entry-content">
{before_body}{story_html(paragraphs)}{body}
</div>
</article>
{after_article}
</main>
<footer class="site-footer"><p>The Riverside Courier, 12 Mill Lane, Riverside.</p></footer>
</body></html>"""


@functools.cache
def _manager(blocked: tuple[str, ...]):
    manager = new_plugin_manager()
    for name in blocked:
        manager.set_blocked(name)
    return manager


def capture_of(html: str, url: str = URL) -> Capture:
    return page_capture(html, url)


def extract(html: str, *, without: tuple[str, ...] = (), url: str = URL) -> Article:
    """The default chain on one page, with the named plugins blocked."""
    problems: list[str] = []
    article = run_chain(
        capture_of(html, url),
        _manager(tuple(sorted(without))),
        lambda url, stage, kind, message, **_: problems.append(message),
    )
    assert not problems, problems
    assert article is not None
    return article


def lines(article: Article) -> list[str]:
    return article.text.split("\n")
