"""The dashboard in a real browser: `hubpulse dashboard` on a free loopback port, every page loaded in Debian's
headless Chromium through chromedriver (selenium), charts waited for, no page showing an exception.

Screenshots go to the test's temporary folder; with HUBPULSE_UPDATE_SCREENSHOTS=1 they are also copied to
docs/screenshots/ (the README's images). HUBPULSE_SCREENSHOT_HOME=<a HUBPULSE_HOME with a published copy, e.g.
data-full/ after `make demo-full`> points the app at that copy instead of the test's small one, for README images of the
full simulated history. Chromium and chromedriver come from `.ci/ensure-chromium` (`make test` runs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from test_dashboard import build_published_home

from orchestration import settings
from orchestration.dashboard import PAGES

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = settings.PROJECT_ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1440, 3000
# Charts each page draws with its default filters (tabs and expanders aside).
CHARTS = {
    "release-cadence": 2,
    "download-velocity": 2,
    "ecosystem-vs-benchmark": 2,
    "derivatives": 3,
    "supply-chain": 3,
    "trajectories": 2,
    "claims": 5,
}
STARTUP_SECONDS = 90
PAGE_SECONDS = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_dashboard(home: Path, log: Path):
    """`hubpulse dashboard --home HOME --port P` in its own process group; yields the base URL."""
    port = _free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli.main", "dashboard", "--home", str(home), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=settings.PROJECT_ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the dashboard exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not answer on {url} in {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by chromedriver; fails (never skips) when either is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: run .ci/ensure-chromium (`make test` does) to install Debian's "
                    "chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers on the network
    profile = tempfile.mkdtemp(prefix="hubpulse-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--force-device-scale-factor=1", f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(home, url): the dashboard over a copy of the test's published home (tests may unpublish it)."""
    root = tmp_path_factory.mktemp("dashboard_browser")
    home = root / "home"
    shutil.copytree(build_published_home(tmp_path_factory), home, symlinks=True)
    with running_dashboard(home, root / "dashboard.log") as url:
        yield home, url


def _wait(driver, condition, what: str, seconds: float = PAGE_SECONDS):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        # An element found, then replaced by Streamlit's next render before it is read, is part of waiting:
        # the condition is evaluated again (the navigation check failed once that way).
        return WebDriverWait(driver, seconds, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        body = driver.find_element("css selector", "body").text[:2000]
        pytest.fail(f"timed out after {seconds} s waiting for {what} on {driver.current_url}; the page says:\n{body}")


def _drawn_charts(driver) -> int:
    """Charts whose Vega view has drawn (a canvas, or an svg with marks, inside the chart element)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')]"
        ".filter(c => c.querySelector('canvas, svg.marks')).length")


def _idle(driver) -> bool:
    """The script run finished: no running indicator, no skeleton placeholders."""
    return driver.execute_script(
        "return !document.querySelector('[data-testid=\"stStatusWidget\"]') "
        "&& !document.querySelector('[data-testid=\"stSkeleton\"]')")


def _open(driver, url: str, page) -> None:
    """Load a page and wait until its title, headline and every chart have rendered."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda d: page.title in d.find_element(By.CSS_SELECTOR, "h1").text, f"the {page.title} title")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]'), "the headline")
    expected = CHARTS[page.url_path]
    _wait(driver, lambda d: _drawn_charts(d) >= expected and _idle(d), f"{expected} drawn charts")


def _screenshot(driver, path: Path) -> None:
    """The page down to the end of its content (the window is tall; taller pages grow it for the shot)."""
    from PIL import Image

    bottom = int(driver.execute_script(
        "return document.querySelector('[data-testid=\"stMainBlockContainer\"]').getBoundingClientRect().bottom"))
    if bottom + 40 > HEIGHT:
        driver.set_window_size(WIDTH, bottom + 80)
        time.sleep(1.0)  # Vega re-lays out charts to the new viewport
        driver.save_screenshot(str(path))
        driver.set_window_size(WIDTH, HEIGHT)
        return
    driver.save_screenshot(str(path))
    with Image.open(path) as image:
        image.crop((0, 0, image.width, min(image.height, bottom + 40))).save(path)


def _no_exception(driver, page: str) -> None:
    from selenium.webdriver.common.by import By

    shown = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not shown, f"{page} shows an exception:\n" + "\n".join(e.text[:1500] for e in shown)
    errors = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]')
    assert not errors, f"{page} shows an error: " + "; ".join(e.text for e in errors)


def _page_url(url: str, page) -> str:
    # The default page lives at "/", the others at their url_path.
    return url + "/" + ("" if page == PAGES[0] else page.url_path)


def test_every_page_renders_its_charts_in_chromium(browser, served, tmp_path):
    from selenium.webdriver.common.by import By

    chosen = os.environ.get("HUBPULSE_SCREENSHOT_HOME")
    with (running_dashboard(Path(chosen).resolve(), tmp_path / "dashboard.log") if chosen
          else contextlib.nullcontext(served[1])) as url:
        shots = []
        for number, page in enumerate(PAGES, start=1):
            _open(browser, _page_url(url, page), page)
            _no_exception(browser, page.title)
            assert browser.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]'), f"{page.title}: no table"
            content = browser.find_element(By.CSS_SELECTOR, '[data-testid="stMainBlockContainer"]').text
            assert "Snapshots" in content and "published" in content, f"{page.title}: no freshness line"
            links = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNavLink"]')
            assert [link.text.splitlines()[-1] for link in links] == [p.title for p in PAGES]  # after the icon
            shot = tmp_path / f"{number}-{page.url_path}.png"
            _screenshot(browser, shot)
            assert shot.stat().st_size > 20_000, f"{shot} looks empty"
            shots.append(shot)

        # Navigating in the browser: the sidebar link of the last page opens it.
        _open(browser, _page_url(url, PAGES[0]), PAGES[0])
        browser.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNavLink"]')[-1].click()
        _wait(browser, lambda d: PAGES[-1].title in d.find_element(By.CSS_SELECTOR, "h1").text, "navigation")
        _wait(browser, lambda d: _drawn_charts(d) >= CHARTS[PAGES[-1].url_path] and _idle(d), "its charts")
        _no_exception(browser, PAGES[-1].title)

    if os.environ.get("HUBPULSE_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, SCREENSHOTS / shot.name)


def test_the_open_app_follows_the_serving_copy_away_and_back(browser, served):
    """With the app left running: nothing published -> the message naming the command; published -> charts."""
    from selenium.webdriver.common.by import By

    home, url = served
    current = home / "serving" / "current"
    hidden = home / "serving" / "current.hidden"
    page = PAGES[1]
    current.rename(hidden)
    try:
        browser.get(_page_url(url, page))
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentInfo"]') and _idle(d),
              "the nothing-published message")
        message = browser.find_element(By.CSS_SELECTOR, '[data-testid="stAlertContentInfo"]').text
        assert "Nothing is published yet" in message and "make demo" in message
        _no_exception(browser, page.title)
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
    finally:
        hidden.rename(current)
    _open(browser, _page_url(url, page), page)
    _no_exception(browser, page.title)
