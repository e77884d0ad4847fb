"""Default page classifier: the signals of ``tearsheet.pages``."""

from tearsheet.archive import Capture
from tearsheet.pages import PageKind, page_kind
from tearsheet.plugins import hookimpl


@hookimpl(trylast=True)
def classify_page(capture: Capture) -> PageKind:
    return page_kind(capture)
