"""Issue #9, brute force: failed sign-ins are limited per account and per address, so are unusable
sign-in links and unknown calendar-feed tokens; the 429 page says when to come back."""

from __future__ import annotations

import pytest
from pagehelpers import csrf_of

PASSWORD = "the right password, long enough"
ALICE, BOB = "alice@trafford.example", "bob@trafford.example"


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """An app of its own (its counters are not the other page tests'), two officers with passwords."""
    import flask_migrate

    from service import create_app
    from service.cli import create_user
    from service.extensions import db
    from service.pages.signin import set_password

    path = tmp_path_factory.mktemp("limits") / "service.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "REDIS_URL": None, "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade()
        for email in (ALICE, BOB):
            user, _ = create_user(email, "la_admin", "358")
            set_password(user, PASSWORD)
        db.session.commit()
    return app


@pytest.fixture
def app(limited):
    from service.limits import EXTENSION

    limited.extensions[EXTENSION].reset()
    return limited


def attempt(app, email, password, address="203.0.113.9"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_of(client.get("/sign-in").data)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def assert_limited(response):
    assert response.status_code == 429, response.status_code
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 15 * 60
    page = response.data.decode()
    assert "Too many attempts" in page and "try again" in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]  # still one of our pages


def test_forty_wrong_passwords_then_the_right_one_is_refused(app):
    answers = [attempt(app, ALICE, f"wrong guess {i:04d}").status_code for i in range(40)]
    assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
    assert_limited(attempt(app, ALICE, PASSWORD))


def test_the_account_limit_holds_across_addresses(app):
    for i in range(10):
        assert attempt(app, ALICE, "wrong guess!!", address=f"198.51.100.{i}").status_code == 401
    assert_limited(attempt(app, ALICE, PASSWORD, address="198.51.100.200"))
    # The e-mail is the account however it is typed.
    assert_limited(attempt(app, " Alice@Trafford.EXAMPLE ", PASSWORD, address="198.51.100.201"))
    # Another account from the same new address signs in.
    assert attempt(app, BOB, PASSWORD, address="198.51.100.200").status_code == 302


def test_the_address_limit_holds_across_accounts(app):
    for i in range(30):
        assert attempt(app, f"nobody{i}@example.org", "wrong guess!!").status_code == 401
    assert_limited(attempt(app, BOB, PASSWORD))
    assert attempt(app, BOB, PASSWORD, address="192.0.2.1").status_code == 302


def test_signing_in_is_not_what_counts(app):
    for _ in range(15):
        assert attempt(app, BOB, PASSWORD).status_code == 302


def test_unusable_sign_in_links_are_limited_per_address(app):
    from service.extensions import db
    from service.pages.signin import find_user, issue_login_link

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    for i in range(20):
        assert client.get(f"/sign-in/guess-{i:03d}").status_code == 410
    with app.app_context():
        real = issue_login_link(find_user(BOB))
        db.session.commit()
    assert_limited(client.get(f"/sign-in/{real}"))
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.51"
    assert other.get(f"/sign-in/{real}").status_code == 200  # the link itself was not used up


def test_unknown_calendar_feed_tokens_are_limited_per_address(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.60"
    for i in range(30):
        assert client.get(f"/calendar/guess{i}.ics").status_code == 404
    response = client.get("/calendar/guess-again.ics")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
