"""Where a request's time goes, for the benchmarks: one JSON line per request, by view.

Off unless `AYNI_PROFILE_REQUESTS` names a file (the benchmarks' servers set it; production never
does). Then `ProfileRequestsMiddleware` runs first and appends, for every request a view answered:

- `cpu_ms`: CPU time of the worker process for the whole request (`time.process_time`): Python,
  the template, the database driver, the threads argon2 hashes a password with — and on SQLite
  the database engine itself, which runs inside the process. A PostgreSQL backend's own CPU is
  another process's and is not in it. (gunicorn's sync workers serve one request at a time, so
  the process's CPU is the request's.)
- `sql_n`, `sql_ms`, `sql_cpu_ms`: queries run, the wall time spent in them, and the process's
  CPU during them (on SQLite about `sql_ms`; on PostgreSQL only the driver's share).
- `tpl_ms`, `tpl_cpu_ms`: rendering the outermost template, less the queries it ran lazily.
- `svg_ms`: drawing the inline SVG charts and maps (the functions in `SECTIONS`).
- `python_cpu_ms`: `cpu_ms - sql_cpu_ms`, what the process spent outside the queries.

`bench/support/cpu.py` reads the file and gives medians and p95 per view. Each line is written
with one `write` on a file opened for appending, so the workers of one gunicorn share the file.
"""

import contextlib
import functools
import importlib
import json
import os
import threading
import time

from django.conf import settings
from django.db import connections
from django.template.backends.django import Template as BackendTemplate

# Timed apart inside a request: the inline SVG drawing of the dashboards and maps. A name that
# is not there (renamed by a later change) is skipped rather than failing the server.
SECTIONS = {
    "svg": ["ayni.evidence.charts.bar_chart", "ayni.evidence.charts.line_chart",
            "ayni.evidence.charts.stacked_bar_chart", "ayni.evidence.maps.choropleth"],
}

_current = threading.local()


class _Tally:
    """One request's counters, kept on the thread that serves it."""

    def __init__(self):
        self.sql_n = 0
        self.sql_ms = self.sql_cpu_ms = 0.0
        self.tpl_ms = self.tpl_cpu_ms = self.tpl_sql_ms = self.tpl_sql_cpu_ms = 0.0
        self.sections: dict[str, float] = {}
        self.depth: dict[str, int] = {}

    def enter(self, name: str) -> bool:
        """True for the outermost of nested timings of one kind (a template that renders
        another through a tag, a chart drawn inside a map), so nothing is counted twice."""
        self.depth[name] = self.depth.get(name, 0) + 1
        return self.depth[name] == 1

    def leave(self, name: str) -> None:
        self.depth[name] -= 1


def _sql_timer(execute, sql, params, many, context):
    tally = getattr(_current, "tally", None)
    if tally is None:
        return execute(sql, params, many, context)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return execute(sql, params, many, context)
    finally:
        tally.sql_n += 1
        tally.sql_ms += (time.perf_counter() - wall) * 1000
        tally.sql_cpu_ms += (time.process_time() - cpu) * 1000


def _timed_render(render):
    @functools.wraps(render)
    def wrapper(self, *args, **kwargs):
        tally = getattr(_current, "tally", None)
        if tally is None or not tally.enter("template"):
            try:
                return render(self, *args, **kwargs)
            finally:
                if tally is not None:
                    tally.leave("template")
        wall, cpu, sql_ms, sql_cpu = time.perf_counter(), time.process_time(), tally.sql_ms, tally.sql_cpu_ms
        try:
            return render(self, *args, **kwargs)
        finally:
            tally.leave("template")
            tally.tpl_ms += (time.perf_counter() - wall) * 1000
            tally.tpl_cpu_ms += (time.process_time() - cpu) * 1000
            tally.tpl_sql_ms += tally.sql_ms - sql_ms
            tally.tpl_sql_cpu_ms += tally.sql_cpu_ms - sql_cpu
    wrapper.profiled = True
    return wrapper


def _timed_section(name: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        tally = getattr(_current, "tally", None)
        if tally is None or not tally.enter(name):
            try:
                return function(*args, **kwargs)
            finally:
                if tally is not None:
                    tally.leave(name)
        wall = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            tally.leave(name)
            tally.sections[name] = tally.sections.get(name, 0.0) + (time.perf_counter() - wall) * 1000
    wrapper.profiled = True
    return wrapper


def _instrument() -> None:
    """Wrap the template backend's render and the sections' functions, once per process."""
    if not getattr(BackendTemplate.render, "profiled", False):
        BackendTemplate.render = _timed_render(BackendTemplate.render)
    for name, paths in SECTIONS.items():
        for path in paths:
            module_name, attribute = path.rsplit(".", 1)
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            function = getattr(module, attribute, None)
            if callable(function) and not getattr(function, "profiled", False):
                setattr(module, attribute, _timed_section(name, function))


class ProfileRequestsMiddleware:
    """Appends one line per request to `settings.PROFILE_REQUESTS` (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = settings.PROFILE_REQUESTS
        _instrument()

    def __call__(self, request):
        _current.tally = tally = _Tally()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            with contextlib.ExitStack() as stack:
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(_sql_timer))
                response = self.get_response(request)
        finally:
            _current.tally = None
        cpu_ms = (time.process_time() - cpu) * 1000
        wall_ms = (time.perf_counter() - wall) * 1000
        match = getattr(request, "resolver_match", None)
        if match is None:
            return response  # a static file or a 404 before any view: not a page's cost
        record = {
            "view": match.view_name, "method": request.method, "status": response.status_code,
            "wall_ms": round(wall_ms, 3), "cpu_ms": round(cpu_ms, 3),
            "sql_n": tally.sql_n, "sql_ms": round(tally.sql_ms, 3), "sql_cpu_ms": round(tally.sql_cpu_ms, 3),
            "python_cpu_ms": round(cpu_ms - tally.sql_cpu_ms, 3),
            "tpl_ms": round(tally.tpl_ms - tally.tpl_sql_ms, 3),
            "tpl_cpu_ms": round(tally.tpl_cpu_ms - tally.tpl_sql_cpu_ms, 3),
            **{f"{name}_ms": round(tally.sections.get(name, 0.0), 3) for name in SECTIONS},
            "pid": os.getpid(),
        }
        line = (json.dumps(record) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        return response

