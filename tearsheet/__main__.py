"""``python -m tearsheet`` runs the command line."""

from tearsheet.cli import main

main()
