"""Issue #9, tokens for ever: tokens expire, can be listed and revoked (command line and the API),
a re-key replaces the old token, and last use is recorded at most once a minute. Issue #12: a
token is checked with one indexed query (tokens joined to users), no password hashing."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from api_helpers import make_user
from test_cycles_api import assert_error

EMAIL = "officer@trafford.example"


def token_rows(app, email=EMAIL):
    from service.extensions import db
    from service.models import Token, User

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        rows = db.session.scalars(db.select(Token).where(Token.user_id == user.id).order_by(Token.id)).all()
        db.session.expunge_all()
        return rows


def cli(app, *args):
    done = app.test_cli_runner().invoke(args=["users", "tokens", *args])
    return done.exit_code, done.output


def test_a_token_expires_after_the_configured_days(app, client):
    from service.extensions import db
    from service.models import Token

    token = make_user(app, EMAIL, "la_admin", "358")
    (row,) = token_rows(app)
    assert dt.timedelta(days=89.9) < row.expires_at - row.created_at <= dt.timedelta(days=90)
    assert client.as_(token).get("/api/v1/me").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(Token).values(expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        db.session.commit()
    body = assert_error(client.as_(token).get("/api/v1/me"), 401)
    assert "expired" in body["message"]


def test_the_lifetime_is_configuration(app):
    from service import tokens
    from service.extensions import db
    from service.pages.signin import find_user

    app.config["TOKEN_LIFETIME_DAYS"] = 7
    make_user(app, EMAIL, "la_admin", "358")
    with app.app_context():
        tokens.issue(find_user(EMAIL))
        db.session.commit()
    newest = token_rows(app)[-1]
    assert newest.expires_at - newest.created_at <= dt.timedelta(days=7)


def test_tokens_list_and_revoke_one_or_all_from_the_command_line(app, client):
    first = make_user(app, EMAIL, "la_admin", "358")
    from service import tokens
    from service.extensions import db
    from service.pages.signin import find_user

    with app.app_context():
        second = tokens.issue(find_user(EMAIL))
        third = tokens.issue(find_user(EMAIL))
        db.session.commit()
    ids = [t.id for t in token_rows(app)]
    code, out = cli(app, "list", "--email", EMAIL)
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0].split() == ["id", "created", "last", "used", "expires", "state"]
    assert [int(line.split()[0]) for line in lines[1:]] == ids
    assert all(line.endswith("active") for line in lines[1:])
    assert first not in out and second not in out  # never the tokens themselves

    code, out = cli(app, "revoke", "--email", EMAIL, "--id", str(ids[0]))
    assert code == 0 and f"revoked 1 token(s) of {EMAIL}: {ids[0]}" in out
    assert_error(client.as_(first).get("/api/v1/me"), 401)
    assert client.as_(second).get("/api/v1/me").status_code == 200
    assert cli(app, "list", "--email", EMAIL)[1].strip().splitlines()[1].endswith("revoked")

    code, out = cli(app, "revoke", "--email", EMAIL)  # no id: every token of the user
    assert code == 0 and "revoked 2 token(s)" in out
    for token in (second, third):
        assert_error(client.as_(token).get("/api/v1/me"), 401)


def test_revoking_names_what_is_wrong(app):
    make_user(app, EMAIL, "la_admin", "358")
    other = make_user(app, "officer@banes.example", "la_admin", "800")
    assert other
    other_id = token_rows(app, "officer@banes.example")[0].id
    code, out = cli(app, "revoke", "--email", EMAIL, "--id", str(other_id))  # someone else's
    assert code != 0 and f"no token {other_id}" in out
    assert token_rows(app, "officer@banes.example")[0].revoked is False
    code, out = cli(app, "revoke", "--email", "nobody@example.org")
    assert code != 0 and "no user nobody@example.org" in out


def test_users_create_again_replaces_the_old_token(app, client):
    old = make_user(app, EMAIL, "la_admin", "358")
    new = make_user(app, EMAIL, "la_admin", "358")
    assert_error(client.as_(old).get("/api/v1/me"), 401)
    assert client.as_(new).get("/api/v1/me").status_code == 200


def test_delete_me_token_revokes_only_the_token_of_the_request(app, client):
    from service import tokens
    from service.extensions import db
    from service.pages.signin import find_user

    mine = make_user(app, EMAIL, "la_admin", "358")
    with app.app_context():
        other_device = tokens.issue(find_user(EMAIL))
        db.session.commit()
    response = client.as_(mine).delete("/api/v1/me/token")
    assert response.status_code == 204, response.json
    assert_error(client.as_(mine).get("/api/v1/me"), 401)
    assert_error(client.as_(mine).delete("/api/v1/me/token"), 401)
    assert client.as_(other_device).get("/api/v1/me").status_code == 200
    assert_error(client.delete("/api/v1/me/token"), 401)


def test_last_use_is_recorded_at_most_once_a_minute(app, client):
    from service.extensions import db
    from service.models import Token

    token = make_user(app, EMAIL, "la_admin", "358")
    assert token_rows(app)[0].last_used_at is None
    assert client.as_(token).get("/api/v1/me").status_code == 200
    first = token_rows(app)[0].last_used_at
    assert first is not None and abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - first) < dt.timedelta(minutes=1)
    assert client.as_(token).get("/api/v1/me").status_code == 200
    assert token_rows(app)[0].last_used_at == first  # within the minute: no write
    with app.app_context():
        db.session.execute(sa.update(Token).values(last_used_at=first - dt.timedelta(minutes=2)))
        db.session.commit()
    assert client.as_(token).get("/api/v1/me").status_code == 200
    assert token_rows(app)[0].last_used_at > first - dt.timedelta(seconds=1)


def test_a_token_is_checked_with_one_query_and_no_password_hash(app, client, monkeypatch):
    import werkzeug.security

    from service.extensions import db

    token = make_user(app, EMAIL, "la_admin", "358")
    client.as_(token).get("/api/v1/me")  # last use written: the next request only reads
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    hashed = []
    monkeypatch.setattr(werkzeug.security, "check_password_hash", lambda *a: hashed.append(a) or False)
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
                from service.auth import authenticate

                user = authenticate()
                assert user.email == EMAIL
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    token_queries = [s for s in statements if re.search(r"\btokens\b", s)]
    assert len(statements) == 1 and len(token_queries) == 1, statements
    assert re.search(r"JOIN tokens|JOIN users|FROM users.*JOIN", statements[0].replace("\n", " "))
    assert "token_hash" in statements[0] and not hashed


def test_the_token_hash_is_indexed(app):
    from service.extensions import db

    with app.app_context():
        inspector = sa.inspect(db.engine)
        unique = [c["column_names"] for c in inspector.get_unique_constraints("tokens")]
        indexed = [i["column_names"] for i in inspector.get_indexes("tokens") if i.get("unique")]
        assert ["token_hash"] in unique + indexed
