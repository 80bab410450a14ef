"""`python -m tracker.cli`: the `tracker` command, for child processes started without PATH."""

from tracker.cli import main

main()
