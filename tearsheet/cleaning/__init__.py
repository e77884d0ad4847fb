"""Boilerplate out, article in: the default cleaners and what they share.

Each ``clean_*`` module (and ``sources``) is a default plugin of its own,
registered under its switch name in the ``tearsheet`` entry points, so a
plugin manager can block any of them by name. ``origin``, ``hidden`` and
``continuation`` serve the default extractor: they tell the cleaners where
each line came from in the page. ``rules`` holds the helpers the cleaners
share. docs/extraction.md describes what each cleaner removes.
"""
