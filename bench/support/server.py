"""A scratch Ayni install for a benchmark: its own database, static files and gunicorn."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
# Where the PostgreSQL server is; the benchmark creates and drops its own database there.
PG_SERVER = os.environ.get("BENCH_PG_URL") or os.environ.get("DATABASE_URL", "") or \
    "postgres://postgres@127.0.0.1:5432/postgres"
if not PG_SERVER.startswith("postgres"):
    PG_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def exit_on_sigterm() -> None:
    """Let `kill PID` run the benchmark's clean-up (stop gunicorn, drop the database) as Ctrl-C does:
    gunicorn runs in its own session and would otherwise outlive the script."""
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Install:
    """A database (SQLite file or a PostgreSQL database of its own) and the environment to run
    Ayni on it the way production does: debug off, real static files, the task database."""

    def __init__(self, *, engine: str, name: str, workdir: Path):
        # BENCH_DB_PREFIX=ayni_me_ turns ayni_bench_load into ayni_me_bench_load: sessions that
        # share one PostgreSQL server each drop and create only databases of their own.
        prefix = os.environ.get("BENCH_DB_PREFIX")
        if prefix:
            name = prefix + name.removeprefix("ayni_")
        self.engine, self.name, self.workdir = engine, name, workdir
        workdir.mkdir(parents=True, exist_ok=True)
        if engine == "postgres":
            url = urlsplit(PG_SERVER)
            self.admin_url = urlunsplit(url._replace(path="/postgres"))
            self.database_url = urlunsplit(url._replace(path=f"/{name}"))
        else:
            self.database_url = f"sqlite:///{workdir / (name + '.sqlite3')}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AYNI_", "DJANGO_", "PYTEST"))}
        # gunicorn and `ayni` run in the scratch directory: a relative PYTHONPATH=src would quietly
        # serve the installed checkout's code instead of this one's.
        if self.env.get("PYTHONPATH"):
            self.env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve())
                                                     for p in self.env["PYTHONPATH"].split(os.pathsep) if p)
        self.env.update(
            DATABASE_URL=self.database_url,
            AYNI_SECRET_KEY=secrets.token_urlsafe(50),
            AYNI_DEBUG="0",
            AYNI_SECURE="0",  # plain http on 127.0.0.1; TLS is nginx's job
            AYNI_ALLOWED_HOSTS="127.0.0.1",
            AYNI_VAR_DIR=str(workdir),
            AYNI_STATIC_ROOT=str(workdir / "static"),
            AYNI_LOG_LEVEL="WARNING",
            # As deploy/ayni.env.example: a worker keeps its database connection for a minute
            # instead of opening one per request (a PostgreSQL backend's start-up on every click).
            AYNI_CONN_MAX_AGE="60",
        )

    def create(self) -> None:
        self.drop()
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(self.database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)

    def ayni(self, *args: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
        result = subprocess.run([str(BIN / "ayni"), *args], env=self.env, cwd=self.workdir,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"ayni {' '.join(args)} falló ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def has_command(self, name: str) -> bool:
        return name in self.ayni("help", "--commands").stdout.split()

    def prepare(self, *, scale: str, password: str) -> None:
        """Migrate, generate the demo federation and collect the static files."""
        self.create()
        log(f"migrate ({self.engine})")
        self.ayni("migrate", "--no-input", "-v", "0")
        if self.has_command("demo"):
            log(f"demo --scale {scale}")
            self.ayni("demo", "--scale", scale, "--password", password, "-v", "0")
        else:
            raise SystemExit("Este benchmark necesita «ayni demo» para generar datos.")
        if self.engine == "postgres":
            import psycopg

            # The planner's statistics after the demo's bulk load: autovacuum is off on the bench server.
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute("ANALYZE")
        self.ayni("collectstatic", "--no-input", "-v", "0")


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py, in its own process group so it can be killed whole."""

    def __init__(self, install: Install, *, workers: int, port: int | None = None):
        self.install, self.workers = install, workers
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        out = open(self.install.workdir / "gunicorn.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "ayni.wsgi", "--config", str(REPO / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--access-logfile", "/dev/null"],
            env=self.install.env, cwd=self.install.workdir, stdout=out, stderr=out, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn terminó al arrancar; vea {self.install.workdir / 'gunicorn.log'}")
            try:
                # A generous timeout: right after a restart the workers face every client's retry at once.
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=15) as response:  # noqa: S310 - 127.0.0.1
                    if response.status == 200 and len(self.worker_pids()) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn no respondió a /healthz a tiempo")

    def worker_pids(self) -> list[int]:
        if not self.proc:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def rss_mb(self) -> dict[int, float]:
        """Resident memory of each worker, in MB, read from /proc."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return sizes

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut or the OOM killer would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
