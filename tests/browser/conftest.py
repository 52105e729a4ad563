"""Real-browser tests: the app served on a free local port, Chromium driven by pytest-playwright.

Playwright cannot download its own browsers on every machine; Debian's /usr/bin/chromium is used when it is
there, Playwright's bundled browser otherwise.
"""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

SYSTEM_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    if SYSTEM_CHROMIUM:
        args["executable_path"] = SYSTEM_CHROMIUM
    flags = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
             "--disable-sync"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    args["args"] = [*args.get("args", []), *flags]
    return args


@pytest.fixture
def live_server(app):
    """Serve ``app`` in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def logged_in(page, live_server, users):
    """A browser page logged in as the annotator; returns the base URL."""
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill("ann_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/projects/")
    return live_server
