"""The browser harness of the page tests: Debian's Chromium driven by Playwright, the app served
by a werkzeug thread, and axe-core run on every page a test loads.

`axe_page(browser)` opens a page whose every load is checked by axe-core (the npm package's
axe.min.js, injected by Playwright; WCAG 2.0-2.2 A and AA rules). A violation fails the test at
its end, listing each rule, its help text and the offending elements, page by page.
"""

from __future__ import annotations

import contextlib
import os
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = "/usr/bin/chromium"
AXE_JS = os.path.join(ROOT, "node_modules", "axe-core", "axe.min.js")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """async (tags) => {
  // One run at a time: a check started while another runs waits for it.
  const run = () => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  window.__axeRun = (window.__axeRun || Promise.resolve()).catch(() => null).then(run);
  const result = await window.__axeRun;
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 10)}));
}"""


def missing(message: str):
    if IN_CI:
        pytest.fail(message + " and CI=true", pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)")
    if not os.path.exists(AXE_JS):
        missing(f"{AXE_JS} is missing (`make setup` runs npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def serve(app):
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(5)


class AxeReport:
    def __init__(self):
        self.checked: list[str] = []
        self.violations: list[tuple[str, dict]] = []

    def check(self, page):
        url = page.url
        if not url.startswith("http") or url.endswith((".ics", ".csv", ".xlsx", ".json")):
            return
        try:
            found = page.evaluate(AXE_RUN, AXE_TAGS)
        except Exception as exc:  # noqa: BLE001 - a page that navigated away mid-run is checked on its next load
            if "Execution context was destroyed" in str(exc) or "navigat" in str(exc):
                return
            raise
        self.checked.append(url)
        self.violations += [(url, v) for v in found]

    def assert_clean(self):
        assert self.checked, "axe-core checked no page"
        lines = [
            f"{url}: {v['id']} ({v['impact']}): {v['help']} -> {', '.join(v['nodes'])}" for url, v in self.violations
        ]
        assert not lines, "axe-core found accessibility violations:\n" + "\n".join(lines)


@contextlib.contextmanager
def axe_page(browser, viewport=(1100, 900)):
    """A new page in a fresh context; axe-core runs on each load, and the test fails on any violation."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.set_default_timeout(10_000)
    with open(AXE_JS, encoding="utf-8") as fh:
        context.add_init_script(fh.read())
    page = context.new_page()
    report = AxeReport()
    # Run in the load event's handler: the test's next step waits until the page is checked.
    page.on("load", lambda p: report.check(p))
    page.axe = report
    try:
        yield page
        # Event handlers run during the next Playwright call: make one, so the last load is
        # handled, and check the page the test ended on if that load was not.
        page.wait_for_load_state()
        if not report.checked or report.checked[-1] != page.url:
            report.check(page)
        report.assert_clean()
    finally:
        context.close()


@contextlib.contextmanager
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1, keeping every message it receives.

    Yields (host, port, messages); each message is an `email.message.EmailMessage` with
    `envelope_to` (the RCPT TO addresses) set. For the end-to-end test's mails on publication.
    """
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    messages = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            message.envelope_to = list(envelope.rcpt_tos)
            messages.append(message)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, messages
    finally:
        controller.stop()
