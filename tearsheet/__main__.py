"""``python -m tearsheet`` runs the command line.

``-m`` puts the current directory first on ``sys.path``: a ``click.py``,
``trafilatura.py`` or plugin-looking file that happens to be there would be
imported in place of the real module. It is taken off before anything else
is imported; plugins load from entry points and ``--plugins-dir`` only.
"""

import os
import sys

if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.realpath(os.curdir):
    del sys.path[0]

from tearsheet.cli import main  # noqa: E402 (after the sys.path fix, on purpose)

main()
