"""Example exporter: every stored article also goes to a JSON Lines file.

The file is ``articles.jsonl`` beside the corpus database; one line per
article export (a rerun appends its articles again).
"""

import json

from tearsheet import hookimpl


@hookimpl
def export_article(article, capture, corpus):
    line = {**article.to_dict(), "fetched_at": capture.fetched_at, "record": capture.warc_record_id}
    with (corpus.path.parent / "articles.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
