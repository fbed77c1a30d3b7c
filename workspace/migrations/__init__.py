"""Alembic migrations, run by `flask --app wsgi db upgrade` and automatically
for the embedded SQLite database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from workspace.config import ConfigError, Settings

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def check_database(settings: Settings) -> None:
    """Fail at start with one line when the database cannot be reached."""
    if settings.is_sqlite:
        Path(settings.database_url.split("///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
        return
    engine = create_engine(settings.database_url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        raise ConfigError(f"DATABASE_URL: cannot connect to the database ({reason})") from None
    finally:
        engine.dispose()


def upgrade_if_embedded(settings: Settings) -> None:
    if settings.is_sqlite:
        upgrade(settings.database_url)
        return
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    if current != head:
        raise ConfigError(
            "The database schema is not up to date; run `flask --app wsgi db upgrade` "
            f"(at {current or 'empty'}, need {head})."
        )
