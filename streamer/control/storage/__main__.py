"""``python -m streamer.control.storage upgrade|revision --db URL``: migrate a database, or autogenerate a revision."""

from .db import main

main()
