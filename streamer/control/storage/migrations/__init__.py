"""Alembic migrations of the control-plane database (run by ``storage.db.migrate``)."""
