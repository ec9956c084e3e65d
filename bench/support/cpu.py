"""CPU where it is spent, the one way every benchmark measures it.

- `server_cpu_s(server)`: CPU seconds used so far by a gunicorn — the master, its live workers,
  and the workers it already replaced (`max_requests`) — read from /proc, so it is the server's
  own cost, apart from the load generator's threads and whatever else the machine runs.
- `profile_env(workdir)` / `ViewProfile`: the per-request breakdown of `ayni.core.profiling`
  (CPU, query count and time, template, SVG by view), switched on in a benchmark's server by
  `AYNI_PROFILE_REQUESTS` and summed up here as medians and p95 per view.

Nothing to install: /proc is Linux's, and the middleware is part of Ayni.
"""

import json
import os
import statistics
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
# The breakdown's columns, as the middleware writes them (see ayni.core.profiling).
COLUMNS = ["cpu_ms", "sql_n", "sql_ms", "sql_cpu_ms", "python_cpu_ms", "tpl_cpu_ms", "svg_ms", "wall_ms"]
# Logging in hashes the password with argon2, slow on purpose: reported apart, never mixed into
# the other views' figures.
LOGIN_VIEWS = {"accounts:login POST"}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _stat(pid: int) -> list[str] | None:
    try:
        # The command name in parentheses may hold spaces: split after its closing parenthesis.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_cpu_s(pid: int, *, reaped_children: bool = False) -> float:
    """utime + stime of one process, plus, if asked, those of its children it has waited for."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After the ")": state is field 0, utime 11, stime 12, cutime 13, cstime 14.
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def server_cpu_s(server) -> float:
    """CPU seconds used so far by a `support.server.Gunicorn`: master and workers. A worker that
    gunicorn replaced (after `max_requests`) was waited for by the master, so its CPU is in the
    master's children's time; a server killed with SIGKILL loses its count with it."""
    if not server.proc:
        return 0.0
    total = process_cpu_s(server.proc.pid, reaped_children=True)
    return total + sum(process_cpu_s(pid) for pid in server.worker_pids())


class InProcessCpu:
    """CPU of pages served in this process (the Django test client): its own, plus, on
    PostgreSQL, the database backend's own (another process on the same machine, read from /proc
    with the clock tick's resolution — so read it over many pages, not one)."""

    def __init__(self, connection):
        connection.ensure_connection()
        self.backend = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                self.backend = cur.fetchone()[0]

    def seconds(self) -> float:
        import time

        return time.process_time() + (process_cpu_s(self.backend) if self.backend else 0.0)


class PostgresBackendsCpu:
    """CPU of the PostgreSQL backends serving one database, sampled from /proc: a gunicorn's
    queries run in those processes, not in the workers. Call `sample()` often (a backend that
    ends between two samples takes its last moments with it) and `seconds()` at the end."""

    def __init__(self, admin_url: str, database: str):
        self.admin_url, self.database = admin_url, database
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.started = False

    def sample(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            pids = [pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database])]
        for pid in pids:
            cpu = process_cpu_s(pid)
            if not self.started:
                self.start[pid] = cpu
            self.last[pid] = cpu
        self.started = True

    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())


def profile_env(workdir: Path) -> dict[str, str]:
    """The environment that makes a benchmark's Ayni write its per-request breakdown."""
    return {"AYNI_PROFILE_REQUESTS": str(Path(workdir) / "requests-profile.jsonl")}


class ViewProfile:
    """The per-request lines one run wrote, summed up by view."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.records: list[dict] = []
        self.offset = 0

    @classmethod
    def of(cls, env: dict[str, str]) -> "ViewProfile":
        return cls(env["AYNI_PROFILE_REQUESTS"])

    def mark(self) -> None:
        """Forget what was written so far (a warm-up, a login before the clock starts)."""
        self.offset = self.path.stat().st_size if self.path.exists() else 0
        self.records = []

    def read(self) -> list[dict]:
        if self.path.exists():
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
            # A line still being written by a live worker is left for the next read.
            complete = data[:data.rfind(b"\n") + 1]
            self.offset += len(complete)
            self.records += [json.loads(line) for line in complete.splitlines() if line.strip()]
        return self.records

    @staticmethod
    def key(record: dict) -> str:
        """A view's name, with the method when it is not GET: a form's answer (the login's
        argon2, a socia registered) is not its page."""
        return record["view"] if record.get("method", "GET") == "GET" else f"{record['view']} {record['method']}"

    def by_view(self) -> dict[str, dict]:
        """Per view: requests, and each column's median and p95 (`cpu_ms_p50`, `sql_n_p95`...)."""
        grouped: dict[str, list[dict]] = {}
        for record in self.read():
            grouped.setdefault(self.key(record), []).append(record)
        out = {}
        for view, records in grouped.items():
            row = {"requests": len(records)}
            for column in COLUMNS:
                values = [r.get(column, 0.0) for r in records]
                row[f"{column}_p50"] = round(statistics.median(values), 2)
                row[f"{column}_p95"] = round(percentile(values, 95), 2)
            out[view] = row
        return out

    def cpu_ms_per_request(self, *, login: bool = False) -> list[float]:
        """Every request's CPU, the logins alone (`login=True`) or everything else."""
        return [r["cpu_ms"] for r in self.read() if (self.key(r) in LOGIN_VIEWS) == login]

    def table(self, *, top: int | None = None) -> str:
        """The breakdown as a text table, costliest views (by median CPU) first; the login last."""
        views = self.by_view()
        order = sorted(views, key=lambda v: (v in LOGIN_VIEWS, -views[v]["cpu_ms_p50"]))
        if top is not None:
            order = [v for v in order if v not in LOGIN_VIEWS][:top] + [v for v in order if v in LOGIN_VIEWS]
        lines = [f"{'vista':<34}{'pedidos':>8}{'CPU p50':>9}{'CPU p95':>9}{'SQL n':>7}{'SQL ms':>8}"
                 f"{'Python':>8}{'plantilla':>10}{'SVG':>7}{'total':>8}"]
        for view in order:
            row = views[view]
            lines.append(f"{view:<34}{row['requests']:>8}{row['cpu_ms_p50']:>9.1f}{row['cpu_ms_p95']:>9.1f}"
                         f"{row['sql_n_p50']:>7.0f}{row['sql_ms_p50']:>8.1f}{row['python_cpu_ms_p50']:>8.1f}"
                         f"{row['tpl_cpu_ms_p50']:>10.1f}{row['svg_ms_p50']:>7.1f}{row['wall_ms_p50']:>8.1f}")
        lines.append("(ms por pedido, medianas salvo «CPU p95»; «Python» = CPU fuera de las consultas; "
                     "«plantilla» sin sus consultas; «total» = tiempo de pared en Django)")
        return "\n".join(lines)

    def summary(self) -> dict:
        """For a RESULT line: per view, requests and median / p95 CPU with the median breakdown."""
        return {view: {"requests": row["requests"], "cpu_ms_p50": row["cpu_ms_p50"],
                       "cpu_ms_p95": row["cpu_ms_p95"], "sql_n": row["sql_n_p50"], "sql_ms": row["sql_ms_p50"],
                       "python_cpu_ms": row["python_cpu_ms_p50"], "tpl_cpu_ms": row["tpl_cpu_ms_p50"],
                       "svg_ms": row["svg_ms_p50"]}
                for view, row in self.by_view().items()}


def cpu_figures(result: dict, prefix: str = "") -> dict:
    """The CPU figures of a RESULT line (every key that names CPU, nested ones flattened)."""
    out = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if "cpu" in key:
                out.update({f"{name}.{k}": v for k, v in value.items() if not isinstance(v, dict)})
                out.update({f"{name}.{k}": v["cpu_ms_p50"] for k, v in value.items()
                            if isinstance(v, dict) and "cpu_ms_p50" in v})
            else:
                out.update(cpu_figures(value, f"{name}."))
        elif "cpu" in key:
            out[name] = value
    return out


def main(path: str) -> None:
    """`make bench-quick`'s last words: each benchmark's CPU per unit of work, from its RESULT line."""
    for line in Path(path).read_text().splitlines():
        bench, _sep, rest = line.partition(": ")
        if not rest.startswith("RESULT "):
            continue
        figures = cpu_figures(json.loads(rest.removeprefix("RESULT ")))
        if figures:
            print(f"{bench}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    import sys

    main(sys.argv[1])
