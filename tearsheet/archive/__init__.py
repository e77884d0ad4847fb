"""The WARC layer: writing, reading and describing archived HTTP exchanges.

It imports neither Scrapy nor the plugins, so any script or other crawler can
use it.
"""

from tearsheet.archive.capture import Capture

__all__ = ["Capture"]
