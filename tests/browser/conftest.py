"""Shared pieces of the browser tests: Playwright drives the system's Chromium (Debian's
package, `CHROMIUM_PATH`, default /usr/bin/chromium); no browser is downloaded.

Fixtures: `browser` (one Chromium per module), `page` (a new context at a desktop size,
`page.errors` collects JavaScript errors, `page.csp_violations` what the browser refused
under the Content-Security-Policy), `new_page(**context options)` for other viewports or
a second, logged-out visitor. Every page a test opens must end with no CSP violation (the
fixture checks at the end of the test). Helpers: `url`, `log_in`, `assert_accessible`
(axe-core, vendored: no serious or critical violation, and no CSP violation so far),
`assert_no_csp_violations`, `drawn_charts`, `screenshot`.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls
# (fixtures, factories) are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
# Loaded from the site's own static files: the pages' policy runs no inline script, so
# axe-core cannot be injected as one.
AXE_STATIC = "vendor/axe-core-4.14.1/axe.min.js"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
SHOTS = (Path(settings.BASE_DIR) / "docs" / "screenshots"
         if os.environ.get("KAM_UPDATE_SCREENSHOTS") == "1"
         else Path(settings.BASE_DIR) / "test-results")



def pytest_collection_modifyitems(config, items):
    """Every test here is a browser test, skipped where there is no Chromium."""
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (set CHROMIUM_PATH)")
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if not os.path.exists(CHROMIUM):
                item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """`new_page(**context_options)`: a page in a fresh browser context (no cookies, no
    login), e.g. `new_page(viewport={"width": 390, "height": 844}, is_mobile=True)`.
    `page.errors` collects the page's JavaScript errors."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1400, "height": 900})
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        page.csp_violations = collect_csp_violations(page)
        pages.append(page)
        return page

    pages = []
    yield make
    violations = [f"{page.url}: {text}" for page in pages for text in page.csp_violations]
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(new_page):
    return new_page()


def collect_csp_violations(page):
    """The console messages in which Chromium reports what the page's
    Content-Security-Policy refused (an inline script or handler, a style element without
    the nonce, a foreign source), as a list that fills while the page lives."""
    violations = []

    def on_console(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return violations


def assert_no_csp_violations(page):
    assert not page.csp_violations, f"{page.url}:\n" + "\n".join(page.csp_violations)


def url(live_server, name, *args, query=""):
    return f"{live_server.url}{reverse(name, args=args)}{query}"


def log_in(page, live_server, user):
    page.goto(url(live_server, "login"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(url(live_server, "home"))


def axe_violations(page):
    """Serious and critical axe-core violations of the page as it is now."""
    origin = "/".join(page.url.split("/")[:3])
    page.add_script_tag(url=f"{origin}{settings.STATIC_URL}{AXE_STATIC}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page):
    problems = axe_violations(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    assert_no_csp_violations(page)


def drawn_charts(page):
    """How many charts have a canvas with something painted on it."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-drawn] canvas')]
        .filter(canvas => {
            const data = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
            return false;
        }).length""")


def screenshot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


