"""The page-weight budget, enforced: every page type, first visit with an empty cache and a
repeat visit, bytes on the wire (headers included, compressed as served) summed from real
Chromium's network log. Prints the table; fails above 25 KB first / 8 KB repeat.

bench/pageweight.py measures the same against gunicorn with the production static files."""

import pytest

from tests.conftest import PASSWORD, build_world
from tests.kitchens import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_KB, REPEAT_KB = 25, 8


def targets(w):
    k = w.kitchen.pk
    return [
        ("login", None, "/cuenta/ingresar/"),
        ("leader_home", "rosa", "/"),
        ("kitchen", "rosa", f"/cocina/{k}/"),
        ("daily_report_form", "rosa", f"/cocina/{k}/dia/{TODAY.isoformat()}/"),
        ("stock_movement_form", "rosa", f"/cocina/{k}/movimiento/"),
        ("roll", "rosa", f"/padron/{k}/"),
        ("roll_add_form", "rosa", f"/padron/{k}/agregar/"),
        ("coordinator_home", "carmen", "/"),
        ("organisations", "carmen", "/organizaciones/"),
        ("sync_status", "carmen", "/captura/estado/"),
        ("api_keys", "carmen", "/captura/claves/"),
        ("deliveries", "rosa", f"/cocina/{k}/entregas/"),
        ("kitchens_overview", "carmen", f"/cocina/resumen/{w.lima.pk}/"),
        ("dashboard", "nora", "/evidencia/"),
        ("map", "nora", "/evidencia/mapa/"),
    ]


def state_for(browser, base, username):  # noqa: F811
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/cuenta/ingresar/")
    page.get_by_label("Usuario o celular").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/")
    state = context.storage_state()
    context.close()
    return state


def weigh(browser, base, state, path):  # noqa: F811
    """(first KB, repeat KB): a fresh context has an empty cache; the second visit reuses it."""
    context = browser.new_context(base_url=base, storage_state=state, service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event.get("encodedDataLength", 0)))
    response = page.goto(path)
    # Landing on the login page would weigh the login page instead: every target needs its account.
    assert response.ok and ("/cuenta/ingresar/" not in page.url or path.startswith("/cuenta/")), page.url
    page.wait_for_timeout(200)
    first = sum(received)
    received.clear()
    page.goto(path)
    page.wait_for_timeout(200)
    repeat = sum(received)
    context.close()
    return first / 1024, repeat / 1024


def test_every_page_type_fits_the_budget(browser, live_server, capsys):  # noqa: F811
    world = build_world()
    states = {name: state_for(browser, live_server.url, name) for name in ("rosa", "carmen", "nora")}
    rows = [(name, *weigh(browser, live_server.url, states.get(user), path)) for name, user, path in targets(world)]
    with capsys.disabled():
        print(f"\n{'page':<22}{'first KB':>10}{'repeat KB':>11}")
        for name, first, repeat in rows:
            print(f"{name:<22}{first:>10.1f}{repeat:>11.1f}")
    over = [(n, round(f, 1), round(r, 1)) for n, f, r in rows if f > FIRST_KB or r > REPEAT_KB]
    assert not over, f"over the budget ({FIRST_KB} KB first, {REPEAT_KB} KB repeat): {over}"
