"""Backups of the whole database, and restoring one, for SQLite and PostgreSQL.

A backup is one file: a SQLite database (made with SQLite's online backup API, so the server
may keep writing while it runs) or a PostgreSQL custom-format dump (`pg_dump -Fc`). Both are
restored with the engine's own tools, so a technician can also restore by hand.
"""

import datetime
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

# Files named by `backup` start with this and sort by time; pruning touches only these, never a
# file the technician put in the folder by hand or a copy saved before a restore.
PREFIX = "ayni-"
SQLITE_HEADER = b"SQLite format 3\x00"
PGDUMP_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the technician."""


@dataclass(frozen=True)
class Database:
    engine: str  # "sqlite" or "postgres"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @property
    def suffix(self) -> str:
        return ".sqlite3" if self.engine == "sqlite" else ".pgdump"

    def pg_args(self) -> list[str]:
        args = []
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", str(self.port)]
        if self.user:
            args += ["--username", self.user]
        return args

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            # The environment, not the command line: other users can read a process's arguments.
            env["PGPASSWORD"] = self.password
        return env


def current_database(alias: str = "default") -> Database:
    conf = settings.DATABASES[alias]
    engine = conf["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(conf["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise BackupError(_("La base de datos está en memoria: no hay nada que copiar."))
        return Database("sqlite", name)
    if engine == "django.db.backends.postgresql":
        return Database("postgres", conf["NAME"], conf.get("USER") or "", conf.get("PASSWORD") or "",
                        conf.get("HOST") or "", str(conf.get("PORT") or ""))
    raise BackupError(_("Motor de base de datos no soportado para copias: %(engine)s.") % {"engine": engine})


def default_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def backup_name(db: Database, now: datetime.datetime | None = None) -> str:
    now = now or datetime.datetime.now(datetime.UTC)
    # UTC and down to the second: names sort in time order whatever the server's time zone.
    return f"{PREFIX}{now:%Y%m%d-%H%M%S}{db.suffix}"


def resolve_output(db: Database, output: str | None) -> Path:
    """`--output` may name a folder (the file gets the usual name inside it) or a file."""
    if not output:
        return default_directory() / backup_name(db)
    path = Path(output)
    if path.is_dir() or output.endswith(os.sep):
        return path / backup_name(db)
    return path


def make_backup(*, output: str | None = None, keep: int = 0, alias: str = "default") -> Path:
    """Write a backup of the database and, when `keep` > 0, delete all but the `keep` newest
    backups in the same folder. Returns the file written."""
    db = current_database(alias)
    path = resolve_output(db, output)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename at the end, so a crash or a full disk never leaves a
    # truncated file that looks like a good backup.
    partial = path.with_name(path.name + ".partial")
    try:
        if db.engine == "sqlite":
            _sqlite_backup(Path(db.name), partial)
        else:
            _pg_dump(db, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    if keep > 0:
        prune(path.parent, keep=keep, suffix=db.suffix)
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(_("No existe la base de datos %(path)s.") % {"path": source})
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # pages=-1 copies everything in one step under one read transaction: the copy is a
        # single consistent snapshot, and in WAL mode the server's writers are not blocked.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    # Only the copy's soundness here: which tables it holds is the source's business.
    problem = sqlite_problem(target, require_ayni=False)
    if problem:
        raise BackupError(problem)


def _pg_dump(db: Database, target: Path) -> None:
    _require_tool("pg_dump")
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *db.pg_args(), db.name],
        env=db.pg_env(), capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BackupError(_("pg_dump falló: %(error)s") % {"error": result.stderr.strip()})


def _require_tool(tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(
            _("No se encontró «%(tool)s». Instale el cliente de PostgreSQL (apt install postgresql-client).")
            % {"tool": tool}
        )


def prune(directory: Path, *, keep: int, suffix: str) -> list[Path]:
    """Delete all but the `keep` newest backups of this engine in `directory`."""
    backups = sorted(p for p in directory.glob(f"{PREFIX}*{suffix}") if p.is_file())
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


def sqlite_problem(path: Path, *, require_ayni: bool = True) -> str:
    """Why `path` is not a usable Ayni SQLite backup, or "" when it is."""
    with open(path, "rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return _("%(path)s no es una base de datos SQLite.") % {"path": path}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return _("%(path)s está dañado (falla la verificación de integridad de SQLite).") % {"path": path}
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()[0]
        if require_ayni and not found:
            return _("%(path)s no es una copia de Ayni (no tiene la tabla django_migrations).") % {"path": path}
    except sqlite3.DatabaseError as exc:
        return _("%(path)s no se puede leer: %(error)s") % {"path": path, "error": exc}
    finally:
        conn.close()
    return ""


def check_backup(path: Path, db: Database) -> None:
    """Refuse a file that is missing, of the other engine, or damaged."""
    if not path.is_file():
        raise BackupError(_("No existe el archivo %(path)s.") % {"path": path})
    with open(path, "rb") as fh:
        head = fh.read(16)
    if db.engine == "sqlite":
        if head.startswith(PGDUMP_HEADER):
            raise BackupError(_("%(path)s es una copia de PostgreSQL; esta instalación usa SQLite.") % {"path": path})
        problem = sqlite_problem(path)
        if problem:
            raise BackupError(problem)
        return
    if head.startswith(SQLITE_HEADER):
        raise BackupError(_("%(path)s es una copia de SQLite; esta instalación usa PostgreSQL.") % {"path": path})
    if not head.startswith(PGDUMP_HEADER):
        raise BackupError(_("%(path)s no es una copia de PostgreSQL (pg_dump -Fc).") % {"path": path})
    _require_tool("pg_restore")
    listing = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise BackupError(_("%(path)s está dañado: %(error)s") % {"path": path, "error": listing.stderr.strip()})


def restore_backup(*, path: Path, alias: str = "default", safety_copy: bool = True) -> Path | None:
    """Replace the database's contents with the backup at `path`. Stop the web server and the
    task worker first. Returns the copy of the current data saved before restoring, if any."""
    db = current_database(alias)
    check_backup(path, db)
    saved = None
    if safety_copy:
        # A restore over the wrong file must not lose what was there: keep it, under a name that
        # pruning never touches.
        now = datetime.datetime.now(datetime.UTC)
        saved = default_directory() / f"antes-de-restaurar-{now:%Y%m%d-%H%M%S}{db.suffix}"
        make_backup(output=str(saved), alias=alias)
    connections[alias].close()
    if db.engine == "sqlite":
        _sqlite_restore(path, Path(db.name))
    else:
        _pg_restore(db, path)
    return saved


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # The backup API copies page by page into the live file under its lock, so the file keeps
        # its name, owner and permissions and a reader never sees half of it.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


# What a restore clears before the backup's own statements: the whole schema, and the archive
# of detached partitions (lib/partitions.py), so the restored database holds the backup and
# nothing else.
PG_CLEAR = b"DROP SCHEMA IF EXISTS archive CASCADE;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"


def _pg_restore(db: Database, path: Path) -> None:
    """The backup's statements (`pg_restore` writing SQL) run by `psql` in ONE transaction after
    clearing the schema: any error and nothing changed. `pg_restore --clean` dropped object by
    object and cannot drop the constraints a monthly partition inherits from its table."""
    _require_tool("psql")
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
             "--dbname", db.name, *db.pg_args(), "--file", "-"],
            env=db.pg_env(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err,
        )
        dump = subprocess.Popen(["pg_restore", "--no-owner", "--file", "-", str(path)],
                                env=db.pg_env(), stdout=subprocess.PIPE, stderr=restore_err)
        try:
            psql.stdin.write(PG_CLEAR)
            shutil.copyfileobj(dump.stdout, psql.stdin, 1 << 20)
        except BrokenPipeError:  # psql stopped at an error: its message says which
            pass
        finally:
            dump.stdout.close()
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
        dumped, applied = dump.wait(), psql.wait()
        if dumped != 0 or applied != 0:
            errors = []
            for stream in (restore_err, psql_err):
                stream.seek(0)
                errors.append(stream.read().decode(errors="replace").strip())
            raise BackupError(_("pg_restore falló: %(error)s") % {"error": " ".join(e for e in errors if e)})
