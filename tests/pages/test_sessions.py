"""Issue #9, sessions that outlive sign-out: sign-out, a password change and "sign out everywhere"
end every session of the user (copies of the cookie included), and a session has an absolute
lifetime that using it does not extend."""

from __future__ import annotations

import time

from pagehelpers import HEAD_EMAIL, OFFICER_EMAIL, csrf_of, signed_in_client


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client, path="/cycles") -> bool:
    response = client.get(path)
    if response.status_code == 302:
        assert "/sign-in" in response.headers["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def test_a_copied_cookie_dies_with_sign_out(app):
    client, token = signed_in_client(app, OFFICER_EMAIL)
    thief = copy_of(app, client)
    assert signed_in(thief)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief)  # the copy taken before sign-out no longer works


def test_a_password_change_from_the_command_line_ends_every_session(app):
    from service.extensions import db
    from service.pages.signin import find_user

    client, _ = signed_in_client(app, HEAD_EMAIL)
    thief = copy_of(app, client)
    assert signed_in(client, "/school") and signed_in(thief, "/school")
    password = "a new password of the head"
    done = app.test_cli_runner().invoke(args=["users", "set-password", "--email", HEAD_EMAIL, "--password", password])
    assert done.exit_code == 0, done.output
    assert "password set" in done.output
    assert not signed_in(client, "/school") and not signed_in(thief, "/school")
    # The command keeps working: the new password signs in.
    fresh = app.test_client()
    form = {"email": HEAD_EMAIL, "password": password, "csrf_token": csrf_of(fresh.get("/sign-in").data)}
    assert fresh.post("/sign-in", data=form).headers["Location"].endswith("/school")
    with app.app_context():
        find_user(HEAD_EMAIL).password_hash = None
        db.session.commit()


def test_sign_out_everywhere_is_a_button_that_ends_every_session_of_the_officer(app):
    from service.extensions import db
    from service.records import AuditEvent

    laptop, token = signed_in_client(app, OFFICER_EMAIL)
    phone, _ = signed_in_client(app, OFFICER_EMAIL)
    head, _ = signed_in_client(app, HEAD_EMAIL)
    page = laptop.get("/cycles").data.decode()
    assert 'action="/sign-out-everywhere"' in page and "Sign out everywhere" in page
    response = laptop.post("/sign-out-everywhere", data={"csrf_token": token})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(head, "/school")  # someone else's sessions are theirs
    with app.app_context():
        event = db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.action == "user.signed_out_everywhere")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None and event.actor == OFFICER_EMAIL


def test_sign_out_everywhere_needs_the_form_token_and_a_session(app):
    client, _ = signed_in_client(app, OFFICER_EMAIL)
    assert client.post("/sign-out-everywhere").status_code == 400  # no CSRF token: nothing ends
    assert signed_in(client)
    anonymous = app.test_client()
    form = {"csrf_token": csrf_of(anonymous.get("/sign-in").data)}
    assert "/sign-in" in anonymous.post("/sign-out-everywhere", data=form).headers["Location"]


class Clock:
    """time.time() for service.sessions, moved on by hand."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


def test_a_session_ends_12_hours_after_sign_in_however_much_it_is_used(app, monkeypatch):
    import service.sessions

    clock = Clock()
    monkeypatch.setattr(service.sessions, "time", clock)
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600
    client, _ = signed_in_client(app, OFFICER_EMAIL)
    for hours in (1, 6, 11, 11.9):
        clock.offset = hours * 3600
        assert signed_in(client), hours  # used all day long...
    clock.offset = 12 * 3600 + 60
    assert not signed_in(client)  # ...and still over at twelve hours
    clock.offset = 0
    assert not signed_in(client)  # the cookie was emptied, not only refused once


def test_using_a_session_does_not_send_a_fresher_cookie(app):
    client, _ = signed_in_client(app, OFFICER_EMAIL)
    response = client.get("/cycles")
    assert response.status_code == 200
    assert not any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))
