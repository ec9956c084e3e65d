"""The benchmarks' per-request breakdown (ayni.core.profiling): off unless asked, then one line
per page with its view, its queries as Django counted them, and its template and SVG time."""

import json
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import modify_settings, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

MIDDLEWARE = "ayni.core.profiling.ProfileRequestsMiddleware"


@pytest.fixture
def profiled(tmp_path, monkeypatch):
    """The profiler on for one test. It wraps the drawing functions and the template backend
    for the life of its process (a benchmark's server); here they are put back afterwards, so
    the tests that follow see the functions as the product runs them."""
    import importlib

    from django.template.backends.django import Template

    from ayni.core.profiling import SECTIONS

    monkeypatch.setattr(Template, "render", Template.render)
    for paths in SECTIONS.values():
        for dotted in paths:
            module_name, attribute = dotted.rsplit(".", 1)
            module = importlib.import_module(module_name)
            monkeypatch.setattr(module, attribute, getattr(module, attribute))
    path = tmp_path / "profile.jsonl"
    with override_settings(PROFILE_REQUESTS=str(path)), modify_settings(MIDDLEWARE={"prepend": MIDDLEWARE}):
        yield path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_the_profiler_is_off_unless_a_benchmark_names_its_file():
    assert not settings.PROFILE_REQUESTS
    assert MIDDLEWARE not in settings.MIDDLEWARE


def test_a_page_writes_one_line_with_its_view_and_the_queries_django_ran(world, login, profiled):
    client = login(world.coordinator)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("people:search"), {"q": "quispe"}).status_code == 200
    (line,) = lines(profiled)
    assert line["view"] == "people:search"
    assert line["status"] == 200
    assert line["sql_n"] == len(queries)
    assert line["cpu_ms"] >= line["python_cpu_ms"] >= 0
    assert line["tpl_cpu_ms"] > 0  # the search page is a template
    assert line["svg_ms"] == 0  # and draws no chart


def test_the_dashboard_counts_its_svg_drawing(world, login, profiled):
    assert login(world.national).get(reverse("evidence:dashboard")).status_code == 200
    (line,) = lines(profiled)
    assert line["view"] == "evidence:dashboard"
    assert line["svg_ms"] > 0


def test_a_request_no_view_answered_writes_nothing(world, client, profiled):
    client.get("/no-existe/")
    assert lines(profiled) == []


def test_the_benchmarks_read_the_lines_by_view_and_keep_the_login_apart(world, client, login, profiled):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        from support.cpu import ViewProfile
    finally:
        sys.path.pop(0)
    from tests.conftest import PASSWORD

    client.post(reverse("accounts:login"), {"username": "carmen", "password": PASSWORD})
    profile = ViewProfile(profiled)
    for _i in range(3):
        client.get(reverse("people:search"), {"q": "quispe"})
    views = profile.by_view()
    assert views["people:search"]["requests"] == 3
    assert views["accounts:login POST"]["requests"] == 1
    assert len(profile.cpu_ms_per_request(login=True)) == 1
    assert len(profile.cpu_ms_per_request()) == 3
    assert "people:search" in profile.table()
