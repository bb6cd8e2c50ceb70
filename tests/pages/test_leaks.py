"""Issue #9, smaller leaks: no open redirect after sign-in, /metrics only for its scraper, URL
secrets cut from the logs, and /api/docs served from a package with the pages' headers."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import pytest
from browser import chromium, serve
from pagehelpers import OFFICER_EMAIL, csrf_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "the officer's password for the redirect tests"


@pytest.fixture
def officer_password(app):
    from service.extensions import db
    from service.pages.signin import find_user, set_password

    with app.app_context():
        set_password(find_user(OFFICER_EMAIL), PASSWORD)
        db.session.commit()
    yield PASSWORD
    with app.app_context():
        find_user(OFFICER_EMAIL).password_hash = None
        db.session.commit()


# --------------------------------------------------------------------------- open redirect


@pytest.mark.parametrize(
    "next_",
    [
        "/%09/evil.example",
        "/%0a/x",
        "/%0d%0a/evil.example",
        "//evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "https://evil.example/",
        "/%E2%80%8B/evil.example",
        "/\x7f/evil.example",
    ],
)
def test_sign_in_never_redirects_off_site(app, officer_password, next_):
    client = app.test_client()
    token = csrf_of(client.get("/sign-in").data)
    response = client.post(
        f"/sign-in?next={next_}", data={"email": OFFICER_EMAIL, "password": officer_password, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location == "/cycles", location  # the officer's home, not the `next` given


def test_sign_in_still_goes_back_to_the_page_asked_for(app, officer_password, cycle_id):
    client = app.test_client()
    asked = client.get(f"/cycles/{cycle_id}?version=1")
    assert asked.status_code == 302
    sign_in = asked.headers["Location"]
    token = csrf_of(client.get(sign_in).data)
    response = client.post(sign_in, data={"email": OFFICER_EMAIL, "password": officer_password, "csrf_token": token})
    assert response.headers["Location"] == f"/cycles/{cycle_id}?version=1"


def test_safe_redirect_paths():
    from service.safe_redirect import local_path

    for ok in ("/", "/cycles", "/cycles/3?version=2", "/school#calendar"):
        assert local_path(ok) == ok
    for bad in (None, "", "cycles", "//x", "/\t/x", "/\n/x", "/\\x", "\\\\x", "/ x", "http://x/", "/\x00", "/\u0085x"):
        assert local_path(bad) is None, repr(bad)


# --------------------------------------------------------------------------- /metrics


def test_metrics_are_not_served_without_a_configured_token(app):
    assert app.config.get("METRICS_TOKEN") is None
    assert app.test_client().get("/metrics").status_code == 404


def test_metrics_want_the_configured_bearer_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scraper-token-0123456789abcdef")
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # An officer's API token is not the scraper's.
    assert client.get("/metrics", headers={"Authorization": "Basic c2NyYXBlcg=="}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": "Bearer scraper-token-0123456789abcdef"})
    assert answer.status_code == 200 and "solves{" in answer.get_data(as_text=True)


# --------------------------------------------------------------------------- logs


def test_the_development_server_log_cuts_sign_in_and_feed_secrets(app, caplog, monkeypatch):
    token = "s3cr3t-L1NK-t0ken_abcdefghijklmnop"
    # Alembic's logging set-up (the migrations ran in this process) disables loggers it did not name.
    for name in ("werkzeug", app.logger.name):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    with caplog.at_level(logging.INFO, logger="werkzeug"), caplog.at_level(logging.INFO, logger=app.logger.name):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "POST /sign-in/%s HTTP/1.1" 302 -', token)
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /calendar/%s.ics HTTP/1.1" 200 -', "eyJ.x.y-" + token)
        app.logger.error("Exception on /calendar/%s.ics [GET]", token)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in text
    assert "/sign-in/[redacted]" in text and "/calendar/[redacted].ics" in text


def test_the_gunicorn_access_log_cuts_them_too():
    """gunicorn's own logging configuration (service/gunicorn_conf.py), applied in a process of its own."""
    code = (
        "import logging.config, service.gunicorn_conf as conf\n"
        "logging.config.dictConfig(conf.logconfig_dict)\n"
        "logging.getLogger('gunicorn.access').info('%(h)s \"%(r)s\" %(s)s \"%(f)s\"', {'h': '10.0.0.1', "
        "'r': 'GET /sign-in/LINKSECRET123 HTTP/1.1', 's': '200', 'f': 'https://x.example/calendar/FEED.SECRET.ics'})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "LINKSECRET123" not in done.stderr and "FEED.SECRET" not in done.stderr
    assert '"GET /sign-in/[redacted] HTTP/1.1" 200 \\"https://x.example/calendar/[redacted].ics\\"' in done.stderr or (
        "/sign-in/[redacted]" in done.stderr and "/calendar/[redacted].ics" in done.stderr
    )


# --------------------------------------------------------------------------- /api/docs


def test_api_docs_come_from_the_package_with_the_pages_headers(app):
    client = app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "cdn" not in html.lower() and "<script>" not in html  # no third party, no inline script
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and asset.data, source
    assert "SwaggerUIBundle" in client.get("/api/docs/ui/swagger-ui-bundle.js").get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    for other in ("/api/docs/ui/index.html", "/api/docs/ui/../../secret_key", "/api/docs/ui/swagger-ui.js.map"):
        assert client.get(other).status_code == 404, other


@pytest.mark.slow
def test_api_docs_render_in_a_browser_offline_within_their_policy(app):
    """Chromium, with every request off 127.0.0.1 refused: Swagger UI lists the operations and
    the browser reports no Content-Security-Policy violation."""
    with chromium() as browser, serve(app) as url:
        context = browser.new_context()
        outside = []
        context.route(
            re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: (outside.append(route.request.url), route.abort())
        )
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(url + "/api/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/cycles" in p for p in paths), paths[:5]
        assert not outside, outside
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
        context.close()
