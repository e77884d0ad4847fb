"""Article: text and blocks stay one, whoever changes them."""

from tearsheet.article import Article, Block


def test_set_blocks_makes_the_text() -> None:
    article = Article("https://news.example/a", "").set_blocks(
        [Block("First line."), Block("Second line.", "heading")]
    )
    assert article.text == "First line.\nSecond line."
    assert [block.kind for block in article.paragraphs()] == ["paragraph", "heading"]


def test_text_changed_by_another_plugin_wins_over_stale_blocks() -> None:
    article = Article("https://news.example/a", "").set_blocks([Block("Old.", context="p")])
    article.text = "New first.\n\nNew second."
    assert article.paragraphs() == [Block("New first."), Block("New second.")]


def test_blocks_are_not_part_of_the_stored_record() -> None:
    article = Article("https://news.example/a", "").set_blocks([Block("Line.")])
    record = article.to_dict()
    assert "blocks" not in record
    assert record["text"] == "Line." and record["editors"] == [] and record["sources"] == []
