"""Storage for the control plane: SQLAlchemy models, Alembic migrations and the ``Store`` repository."""

from .db import DEFAULT_URL, make_engine, migrate, open_database
from .models import (
           ApiToken,
           Base,
           Checkpoint,
           CommentRecord,
           RecordedBatch,
           Run,
           Schedule,
           Stream,
           TranscriptLine,
           WrittenBlockRecord,
)
from .store import Store, hash_token, new_token

__all__ = ["DEFAULT_URL", "ApiToken", "Base", "Checkpoint", "CommentRecord", "RecordedBatch", "Run", "Schedule", "Store", "Stream",
           "TranscriptLine", "WrittenBlockRecord", "hash_token", "make_engine", "migrate", "new_token", "open_database"]
