"""clean_captions: figure captions and image credits (policy: both leave the text)."""

from .article_pages import STORY, extract, lines, news_page

CAPTION = "Onlookers gather on the embankment on Monday."
MARKED_UP = f"""
<figure class="wp-block-image"><img src="/img/barrier.jpg" alt="">
<figcaption>{CAPTION} Photo: Jane Doe/Getty Images</figcaption></figure>
<div class="wp-caption aligncenter"><img src="/img/crowd.jpg" alt="">
<p class="wp-caption-text">{CAPTION}</p></div>"""


def test_marked_up_captions_leave_the_text() -> None:
    assert lines(extract(news_page(MARKED_UP))) == STORY


def test_a_caption_known_by_its_photo_credit_goes() -> None:
    image = f'<p><img src="/img/gates.jpg"><br><em>{CAPTION} (Photo: Sam Lee/Reuters)</em></p>'
    html = news_page(image)
    assert CAPTION in extract(html, without=("clean_captions",)).text
    assert lines(extract(html)) == STORY


def test_credit_lines_go_by_their_words() -> None:
    credits = "<p>(Image credit: Environment Agency)</p><p>Photograph: Sam Lee/Reuters</p>"
    html = news_page(credits)
    assert "Image credit" in extract(html, without=("clean_captions",)).text
    assert lines(extract(html)) == STORY


def test_a_sentence_about_a_photograph_is_kept() -> None:
    paragraph = "<p>A photograph of the 2019 flood now hangs in the bakery on Water Street.</p>"
    assert "A photograph of the 2019 flood" in extract(news_page(paragraph)).text
