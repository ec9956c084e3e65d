"""Playwright (Python) driving Debian's Chromium. Never a downloaded browser."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# axe-core, from npm for the tests only (tests/axe/package.json; `scripts/ensure-axe` installs it).
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# What fails a page: every violation that axe rates moderate or worse ("minor" ones are listed
# by axe but left to judgement).
AXE_FAILS_ON = ("moderate", "serious", "critical")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _missing(message: str) -> None:
    if os.environ.get("AYNI_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        _missing("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    if not AXE.exists():
        _missing("axe-core is not installed for the browser tests (bash scripts/ensure-axe)")


# One Playwright per test module, closed at its end: Playwright's sync API cannot run two at
# once in a thread, and several browser modules bring their own.
@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740},
                                  locale="es-PE")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def log_in(page, username: str, password: str) -> None:
    page.goto("/cuenta/ingresar/")
    page.get_by_label("Usuario o celular").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/")


SCREENS = Path(__file__).resolve().parent.parent / "docs" / "screens"


def screens_dir(tmp_path: Path) -> Path:
    """Where a browser test writes the pictures the README shows: docs/screens/ when they are
    being refreshed on purpose (`make screens`, AYNI_SCREENSHOTS=1), otherwise a temporary folder,
    so an ordinary test run takes them too (they cannot rot) but leaves the tree clean."""
    out = SCREENS if os.environ.get("AYNI_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


def assert_accessible(page) -> None:
    """Run axe-core on the page as it is now and fail on any violation of impact moderate or
    above, naming the rule, the element and how to fix it. Call it on every page a test visits
    (and again after the page changes in place: a message shown, a box revealed).

    axe is evaluated through the DevTools protocol, not added as a <script>, which our
    Content-Security-Policy (no inline script) rightly refuses."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    failures = [
        f"{v['impact']}: {v['id']} — {v['help']} ({v['helpUrl']})\n"
        + "\n".join(f"    {' '.join(map(str, n['target']))}: {n['failureSummary']}" for n in v["nodes"][:5])
        for v in result["violations"] if v["impact"] in AXE_FAILS_ON
    ]
    assert not failures, f"axe-core on {page.url}:\n" + "\n".join(failures)
