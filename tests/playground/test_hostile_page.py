"""A hostile web page in a real browser (headless Chromium) against a real playground server:
a page from another port opens ``new WebSocket("ws://127.0.0.1:PORT/ws")`` and fetches the page
(cross-site WebSocket hijacking), and a page whose host name is rebound to 127.0.0.1 does the same
as same-origin requests (DNS rebinding, simulated with Chromium's ``--host-resolver-rules``).
Both are refused and no session is made; the real page still works from ``localhost``."""

from __future__ import annotations

import http.server
import threading

import pytest

from . import conftest
from .conftest import need_web_stack
from .live import running

ATTACK = """<!doctype html><title>a page you happened to visit</title><script>
window.results = {};
function attack(name, url) {
  const socket = new WebSocket(url);
  socket.onopen = () => { results[name] = "open"; socket.send(JSON.stringify({settings: {}})); };
  socket.onclose = (e) => { results[name] = results[name] || "refused " + e.code; };
}
async function read(name, url) {
  try {
    const r = await fetch(url);
    results[name] = r.ok ? "read " + (await r.text()).length : "refused " + r.status;
  } catch (e) { results[name] = "refused: " + e; }
}
attack("socket", "ws://127.0.0.1:PORT/ws");
attack("same_host_socket", "ws://" + location.host + "/ws");
read("fetch", "http://127.0.0.1:PORT/");
read("same_host_fetch", "/");
</script>"""
NAMES = ("socket", "same_host_socket", "fetch", "same_host_fetch")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium that resolves evil.example to 127.0.0.1 (as a rebinding DNS would);
    named as conftest's, so that pytest-xdist runs these tests with the other browser tests."""
    need_web_stack()
    with conftest.chromium("--host-resolver-rules=MAP evil.example 127.0.0.1") as browser:
        yield browser


@pytest.fixture(scope="module")
def served():
    with running() as (port, app):
        yield port, app


@pytest.fixture(scope="module")
def elsewhere(served):
    """The attacking page, served by a plain web server on another port: its port."""
    page = ATTACK.replace("PORT", str(served[0])).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(10)


def results_of(tab, names=NAMES) -> dict:
    """What the attacking page got: "open"/"read ..." or "refused ..." for each of ``names``."""
    tab.wait_for_function(f"{list(NAMES)}.every(n => window.results[n])", timeout=20_000)
    results = tab.evaluate("window.results")
    return {n: results[n] for n in names}


@pytest.mark.parametrize("host", ["127.0.0.1", "evil.example"])
def test_a_page_from_another_port_or_site_is_refused(browser, served, elsewhere, host):
    app = served[1]
    tab = browser.new_page()
    try:
        tab.goto(f"http://{host}:{elsewhere}/")
        results = results_of(tab, ("socket", "fetch"))  # (the same-host ones reach its own)
    finally:
        tab.close()
    assert all(r.startswith("refused") for r in results.values()), results
    assert app.state.open == 0 and app.state.sessions == {}


def test_a_rebound_host_name_gets_nothing(browser, served):
    """evil.example:PORT resolves to the playground: its requests are same-origin for the
    browser, so only the server's Host check stands between the page and the sessions."""
    port, app = served
    tab = browser.new_page()
    try:
        tab.route(  # the attacker's own page, served once for evil.example:PORT; then the
            f"http://evil.example:{port}/",  # name is rebound: its requests reach the playground
            lambda route: route.fulfill(
                content_type="text/html", body=ATTACK.replace("PORT", str(port))
            ),
            times=1,
        )
        tab.goto(f"http://evil.example:{port}/")
        results = results_of(tab)
        assert tab.goto(f"http://evil.example:{port}/").status == 400
    finally:
        tab.close()
    assert all(r.startswith("refused") for r in results.values()), results
    assert app.state.open == 0 and app.state.sessions == {}


def test_the_page_itself_works_from_localhost(browser, served):
    port, app = served
    tab = browser.new_page()
    try:
        tab.goto(f"http://localhost:{port}/")
        tab.wait_for_function("window.playground && window.playground.state.frame")
        assert len(app.state.sessions) == 1
    finally:
        tab.close()
