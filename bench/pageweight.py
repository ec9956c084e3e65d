"""Page weight: bytes each page costs a phone, on a first visit (empty cache) and on a repeat
visit, and how long the daily-report form takes to become usable on a 2G connection.

Real Chromium (Debian's, through Playwright) against gunicorn on 127.0.0.1 serving the demo
federation the way production does (debug off, hashed and compressed static files from
whitenoise). Bytes are what went over the wire, headers included and compressed, from
Chromium's own network log (CDP `Network.loadingFinished.encodedDataLength`). The service
worker's own downloads (it keeps the form and the home page on the phone) are not the page's
and are counted apart. 2G is Chromium's throttling at 250 kbit/s and 300 ms round trip.

Budgets (PRODUCT.md): first visit ≤ 25 KB, repeat visit ≤ 8 KB, form usable on 2G ≤ 2 s.

    python bench/pageweight.py --quick      # the leader's pages only, one 2G run
    python bench/pageweight.py              # every persona's pages, 2G run three times

The last line is `RESULT {...}`. Exits 1 above a budget.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import Gunicorn, Install, exit_on_sigterm, log  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "bench-clave-2026"  # noqa: S105 - demo accounts of a scratch database
FIRST_KB, REPEAT_KB, FORM_2G_S = 25, 8, 2.0
TWO_G = {"offline": False, "latency": 300, "downloadThroughput": 250_000 / 8, "uploadThroughput": 250_000 / 8}
TARGETS = """
import json
from ayni.accounts.models import User
from ayni.accounts.scope import Can, Scope
from ayni.orgs.models import Organisation
leader = User.objects.get(username="dirigenta")
kitchen = Organisation.objects.filter(Scope.for_user(leader).q(Can.EDIT), kind__is_kitchen=True).first()
print(json.dumps({"kitchen": kitchen.pk}))
"""


def pages(kitchen: int, today: str, quick: bool) -> list[tuple[str, str | None, str]]:
    """(name, account or None for anonymous, path)."""
    leader = [
        ("login", None, "/cuenta/ingresar/"),
        ("leader_home", "dirigenta", "/"),
        ("kitchen", "dirigenta", f"/cocina/{kitchen}/"),
        ("daily_report_form", "dirigenta", f"/cocina/{kitchen}/dia/{today}/"),
        ("stock_movement_form", "dirigenta", f"/cocina/{kitchen}/movimiento/"),
        ("roll", "dirigenta", f"/padron/{kitchen}/"),
        ("roll_add_form", "dirigenta", f"/padron/{kitchen}/agregar/"),
    ]
    if quick:
        return leader
    return leader + [
        ("coordinator_home", "coordinadora", "/"),
        ("organisations", "coordinadora", "/organizaciones/"),
        ("people", "coordinadora", "/personas/"),
        ("sync_status", "coordinadora", "/captura/estado/"),
        ("deliveries", "dirigenta", f"/cocina/{kitchen}/entregas/"),
        ("national_home", "nacional", "/"),
        ("dashboard", "nacional", "/evidencia/"),
        ("map", "nacional", "/evidencia/mapa/"),
        ("dashboard_kitchens", "coordinadora", "/evidencia/cocinas/"),
    ]


class Meter:
    """Bytes on the wire for one page, from Chromium's network log."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.bytes = 0
        self.requests = 0
        self.cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event) -> None:
        self.bytes += event.get("encodedDataLength", 0)
        self.requests += 1

    def reset(self) -> None:
        self.bytes, self.requests = 0, 0


def session_state(browser, base: str, account: str) -> dict:
    """Log in once in a throwaway context: the measured one starts with the cookie but an empty cache."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/cuenta/ingresar/")
    page.fill("input[name=username]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button")
    page.wait_for_load_state("load")
    state = context.storage_state()
    context.close()
    return state


def measure_page(browser, base: str, states: dict, account: str | None, path: str) -> dict:
    context = browser.new_context(base_url=base, storage_state=states.get(account), service_workers="block",
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    meter = Meter(page)
    response = page.goto(path, wait_until="load")
    status = response.status if response else 0
    page.wait_for_timeout(300)
    first, first_requests = meter.bytes, meter.requests
    meter.reset()
    page.goto(path, wait_until="load")  # a repeat visit: the same page, the cache warm
    page.wait_for_timeout(300)
    repeat = meter.bytes
    context.close()
    return {"status": status, "first_kb": round(first / 1024, 1), "repeat_kb": round(repeat / 1024, 1),
            "requests": first_requests}


def form_usable_2g(browser, base: str, states: dict, path: str) -> float:
    """Seconds from asking for the daily-report form, cache empty, on 2G, until its save button
    can be pressed."""
    context = browser.new_context(base_url=base, storage_state=states["dirigenta"], service_workers="block",
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", TWO_G)
    started = time.perf_counter()
    page.goto(path, wait_until="commit")
    page.get_by_role("button", name="Guardar el parte").wait_for(state="visible")
    page.wait_for_load_state("load")  # styled: the stylesheet has arrived too
    seconds = time.perf_counter() - started
    context.close()
    return seconds


def service_worker_bytes(browser, base: str, states: dict, path: str) -> float:
    """What the service worker downloads on its first visit, apart from the page (KB)."""
    context = browser.new_context(base_url=base, storage_state=states["dirigenta"])
    total = {"bytes": 0}
    context.on("requestfinished", lambda request: total.__setitem__(
        "bytes", total["bytes"] + (request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]
                                   if request.service_worker else 0)))
    page = context.new_page()
    page.goto(path, wait_until="load")
    page.wait_for_timeout(2000)
    context.close()
    return round(total["bytes"] / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the leader's pages, one 2G run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    exit_on_sigterm()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Falta Chromium de Debian en /usr/bin/chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="ayni-bench-pageweight-"))
    install = Install(engine="sqlite", name="ayni_bench_pageweight", workdir=workdir)
    install.prepare(scale="small", password=PASSWORD)
    kitchen = json.loads(install.ayni("shell", "-c", TARGETS).stdout.strip().splitlines()[-1])["kitchen"]
    today = install.ayni("shell", "-c", "from django.utils import timezone; print(timezone.localdate())") \
        .stdout.strip().splitlines()[-1]
    server = Gunicorn(install, workers=args.workers)
    server.start()
    results: dict[str, dict] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            targets = pages(kitchen, today, args.quick)
            accounts = {a for _n, a, _p in targets if a}
            states = {a: session_state(browser, server.base, a) for a in accounts}
            for name, account, path in targets:
                results[name] = measure_page(browser, server.base, states, account, path)
                log(f"{name}: {results[name]}")
            form = f"/cocina/{kitchen}/dia/{today}/"
            runs = [form_usable_2g(browser, server.base, states, form) for _i in range(1 if args.quick else 3)]
            sw_kb = service_worker_bytes(browser, server.base, states, form)
            browser.close()
    finally:
        server.stop()
        install.drop()

    print(f"\n{'page':<22}{'status':>7}{'first KB':>10}{'repeat KB':>11}{'requests':>10}")
    for name, row in results.items():
        print(f"{name:<22}{row['status']:>7}{row['first_kb']:>10}{row['repeat_kb']:>11}{row['requests']:>10}")
    usable = round(statistics.median(runs), 2)
    max_first = max(r["first_kb"] for r in results.values())
    max_repeat = max(r["repeat_kb"] for r in results.values())
    print(f"daily-report form usable on 2G (250 kbit/s, 300 ms): {usable} s (runs: {[round(r, 2) for r in runs]})")
    print(f"service worker's own downloads on the form's first visit: {sw_kb} KB")
    result = {"pages": {n: {"first_kb": r["first_kb"], "repeat_kb": r["repeat_kb"]} for n, r in results.items()},
              "max_first_kb": max_first, "max_repeat_kb": max_repeat, "form_usable_2g_s": usable,
              "service_worker_kb": sw_kb}
    print("RESULT " + json.dumps(result))
    if max_first > FIRST_KB or max_repeat > REPEAT_KB or usable > FORM_2G_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
