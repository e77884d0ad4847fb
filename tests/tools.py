"""The archivists' own programs (pywb, wacz), found through the environment ``./dev`` sets.

They live in a virtual environment of their own (pywb pins redis<3 and an
old werkzeug) and run as external programs; a test that needs one skips,
saying how to get it, when it is absent.
"""

import os
from pathlib import Path

import pytest

# Each variable names the bin/ directory holding the tool's commands.
PYWB = "TEARSHEET_PYWB"
WACZ = "TEARSHEET_WACZ"


def tool(variable: str, command: str) -> Path:
    """The path of ``command`` in the bin directory ``$variable`` names, or skip the test."""
    folder = os.environ.get(variable)
    if not folder:
        pytest.skip(f"{command} not available: ./dev test sets {variable} to its bin directory")
    path = Path(folder).resolve() / command
    if not path.is_file():
        pytest.skip(f"{command} not found in ${variable} ({folder}); ./dev test installs it")
    return path
