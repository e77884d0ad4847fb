"""Example cleaner: typographic quotes become straight ones, for plain-text tools."""

from tearsheet import hookimpl

STRAIGHTEN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@hookimpl
def clean_article(article):
    article.text = article.text.translate(STRAIGHTEN)
    if article.title:
        article.title = article.title.translate(STRAIGHTEN)
    return article
