"""Playwright (Python) driving Debian's Chromium. Never a downloaded browser."""

import os
from contextlib import contextmanager
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


def new_page(browser, live_server, width: int = 360, height: int = 740):
    """A page at a phone's (or a laptop's) size on which axe-core checks every page it loads:
    each load is checked as it happens, and `accessibility_failures(page)` holds what failed."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height},
                                  locale="es-PE")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg._ayni_axe_failures, pg._ayni_axe_checked = [], []

    def check(p) -> None:
        from playwright.sync_api import Error

        try:
            p._ayni_axe_failures.extend(_axe_failures(p))
        except Error as exc:  # the test moved on to the next page first: that one gets its own check
            if "context was destroyed" not in str(exc) and "closed" not in str(exc):
                raise
        else:
            p._ayni_axe_checked.append(p.url)

    pg.on("load", check)
    return pg


def accessibility_failures(page) -> list[str]:
    return page._ayni_axe_failures


def accessibility_checked(page) -> list[str]:
    """The URLs axe-core checked on this page so far, one per load."""
    return page._ayni_axe_checked


@contextmanager
def checked_page(browser, live_server, width: int = 360, height: int = 740):
    """`new_page` for a test that needs its own size: closed at the end, and failing then if
    axe-core found anything on any page it loaded."""
    pg = new_page(browser, live_server, width, height)
    try:
        yield pg
    finally:
        failures = list(accessibility_failures(pg))
        pg.context.close()
    assert not failures, "axe-core:\n" + "\n".join(failures)


@pytest.fixture
def page(browser, live_server):
    with checked_page(browser, live_server) as pg:
        yield pg


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
    failures = _axe_failures(page)
    assert not failures, "axe-core:\n" + "\n".join(failures)


def _axe_failures(page) -> list[str]:
    if page.is_closed():
        return []
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    # One run at a time per page: a check at load and one a test asks for take turns.
    result = page.evaluate("window.__ayniAxe = (window.__ayniAxe || Promise.resolve()).catch(() => null)"
                           ".then(() => axe.run(document, {resultTypes: ['violations']}))")
    return [
        f"{page.url}: {v['impact']}: {v['id']} — {v['help']} ({v['helpUrl']})\n"
        + "\n".join(f"    {' '.join(map(str, n['target']))}: {n['failureSummary']}" for n in v["nodes"][:5])
        for v in result["violations"] if v["impact"] in AXE_FAILS_ON
    ]
