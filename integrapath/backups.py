"""Backups of the whole database and their restore.

SQLite is copied page by page with its online backup API (a consistent copy while the app
keeps running); PostgreSQL with ``pg_dump`` in its custom format, restored by
``pg_restore`` in one transaction (all or nothing). Backup files hold every person's data:
they are created readable by their owner only.
"""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 -- pg_dump and pg_restore, with argument lists, never a shell
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    """A backup or restore could not be done; nothing was changed."""


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _postgres_command(tool: str, url: sa.URL) -> tuple[list[str], dict[str, str]]:
    """Return the tool's connection arguments and environment (the password stays out of
    the process list)."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client).")
    arguments = [program, "--no-password", "--dbname", url.database or ""]
    if url.host:
        arguments += ["--host", url.host]
    if url.port:
        arguments += ["--port", str(url.port)]
    if url.username:
        arguments += ["--username", url.username]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return arguments, environment


def _run(arguments: list[str], environment: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 -- fixed program, arguments as a list
        arguments, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{arguments[0]} failed")


def back_up(engine: sa.Engine, target: Path) -> None:
    """Write a consistent copy of the whole database to ``target`` (mode 0600)."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    target.touch(mode=0o600)
    try:
        if engine.dialect.name == "sqlite":
            source = sqlite3.connect(_sqlite_path(engine.url))
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            arguments, environment = _postgres_command("pg_dump", engine.url)
            _run([*arguments, "--format=custom", "--no-owner", "--file", str(target)], environment)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def restore(engine: sa.Engine, source: Path) -> None:
    """Replace the whole database with the backup in ``source``; stop the app servers
    first. On PostgreSQL the restore is one transaction: it fails whole or succeeds whole."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    engine.dispose()  # no pooled connection may hold the old database open
    if engine.dialect.name == "sqlite":
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database.")
            live = sqlite3.connect(_sqlite_path(engine.url))
            try:
                backup.backup(live)
            finally:
                live.close()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a SQLite backup: {error}") from None
        finally:
            backup.close()
    else:
        arguments, environment = _postgres_command("pg_restore", engine.url)
        _run(
            [*arguments, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--exit-on-error", str(source)],
            environment,
        )  # fmt: skip
