"""The web page in a real browser: headless Chromium driven by Playwright.

Needs ``pip install playwright`` and Debian's ``chromium`` (``/usr/bin/chromium``; no
``playwright install``). Without them the tests skip and say why, unless
``HEDGEKIT_REQUIRE_BROWSER=1`` (CI), where a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (os.environ.get("HEDGEKIT_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str) -> None:
    if os.environ.get("HEDGEKIT_REQUIRE_BROWSER"):
        pytest.fail(f"HEDGEKIT_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    path = _chromium()
    if path is None:
        _unavailable("no Chromium found (apt-get install -y chromium, or set HEDGEKIT_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.problems = []  # console errors and CSP violations
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.set_default_timeout(90_000)
    page.goto(live_server.url + "/")
    yield page
    context.close()


def _expect(locator: Any) -> Any:
    # locator assertions: no string eval, which the page's CSP (rightly) forbids
    from playwright.sync_api import expect

    return expect(locator)


def _connect(page: Any, key: str) -> None:
    page.fill("#api-key", key)
    page.click("#connect")
    _expect(page.locator("#market-badge")).to_contain_text("SYNTHETIC", timeout=30_000)


def test_hedge_and_compare_methods_in_the_browser(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    _connect(page, live_server.key_a)
    assert page.input_value("#date")  # prefilled from the market's dates
    page.fill("#positions", "identifier,quantity\nKSTD,100000\n")
    page.fill("#date", "2022-12-30")
    page.select_option("#method", "returns")
    page.select_option("#compare", "factor")
    page.fill("#ex-sectors", "Energy")
    page.fill("#constraints", "sector,Information Technology,0,60")
    page.fill("#p-max-names", "10")
    page.fill("#p-max-weight", "25")
    page.click("#submit")

    page.wait_for_selector("#constituents-returns tbody tr")
    page.wait_for_selector("#constituents-factor tbody tr")
    _expect(page.locator("#status")).to_have_text("done", timeout=90_000)
    for method in ("returns", "factor"):
        rows = page.locator(f"#constituents-{method} tbody tr")
        assert 1 <= rows.count() <= 10
        tickers = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
        assert all(t.isupper() and 2 <= len(t) <= 5 for t in tickers)
        assert "KSTD" not in tickers
        pane = page.locator(f".pane[data-method='{method}']")
        assert pane.get_attribute("data-status") == "done"
        assert pane.locator("svg.chart path[data-series]").count() == 4  # 3 legs + correlation
        assert "Energy" not in pane.locator("table.constituents").inner_text()
        assert "SYNTHETIC" in pane.locator(".summary").inner_text()
    # side by side
    boxes = [
        page.locator(f".pane[data-method='{m}']").bounding_box() for m in ("returns", "factor")
    ]
    assert boxes[0]["x"] < boxes[1]["x"]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 5

    with page.expect_download() as info:
        page.locator(".pane[data-method='returns'] button.download").click()
    basket = Path(info.value.path()).read_text()
    assert basket.startswith("identifier,side,shares,price,notional,weight_pct")

    shot = tmp_path / "web_page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # the copy in the docs: written when missing, refreshed on request (it shows job ids,
    # so rewriting it on every run would dirty the work tree)
    docs_copy = REPO / "docs" / "img" / "web_page.png"
    if not docs_copy.exists() or os.environ.get("HEDGEKIT_UPDATE_DOCS_IMG"):
        docs_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, docs_copy)
    assert page.problems == []


def test_the_page_shows_the_api_message(page: Any, live_server: Any) -> None:
    _connect(page, live_server.key_a)
    page.fill("#positions", "KSTDX,1000")
    page.fill("#date", "2022-12-30")
    page.click("#submit")
    error = page.wait_for_selector("#error:not([hidden])")
    assert "unknown identifier 'KSTDX'; did you mean KSTD" in error.inner_text()

    page.fill("#positions", "KSTD,60%\nFRLX,30%")
    page.fill("#notional", "1000000")
    page.click("#submit")
    _expect(page.locator("#error")).to_contain_text("must sum to 1", timeout=30_000)


def test_a_wrong_key_is_reported(page: Any) -> None:
    page.fill("#api-key", "hk_wrong")
    page.click("#connect")
    error = page.wait_for_selector("#error:not([hidden])")
    assert "API key not recognised" in error.inner_text()
    assert page.inner_text("#market-badge") == "not connected"


def test_the_monitor_of_a_done_hedge(page: Any, live_server: Any) -> None:
    """Issue 16: the page shows the monitor of a stored hedge, its verdict and its plot."""
    _connect(page, live_server.key_a)
    page.fill("#positions", "identifier,quantity\nKSTD,100000\n")
    page.fill("#date", "2022-12-30")
    page.select_option("#method", "returns")
    page.click("#submit")
    page.wait_for_selector("#constituents-returns tbody tr")
    pane = page.locator(".pane[data-method='returns']")
    pane.locator("input.monitor-date").fill("2023-06-30")
    pane.locator("button.monitor-button").click()
    _expect(pane.locator(".verdict")).to_contain_text("rebalance", timeout=90_000)
    _expect(pane.locator(".monitor-summary")).to_contain_text("to 2023-06-30")
    _expect(pane.locator("img.monitor-plot")).to_be_visible()
    assert page.problems == []
