"""The history store: what portmap saw, kept (SQLAlchemy Core, migrated by Alembic; SQLite by default)."""
