"""`flask --app service users create ...`: the way to give someone access."""

import click
from flask.cli import AppGroup

from . import tokens as api_tokens
from .auth import issue_token
from .errors import NotFound
from .extensions import db
from .models import ROLES, LocalAuthority, School, User

users = AppGroup("users", help="Manage users and their API tokens.")
tokens = AppGroup("tokens", help="List and revoke a user's API tokens.")
users.add_command(tokens)


def create_user(email: str, role: str, la_code: str | None = None, urn: str | None = None) -> tuple[User, str]:
    """Create (or re-key) a user and return it with a new token; the caller commits."""
    if role not in ROLES:
        raise click.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    school = None
    if role == "headteacher":
        if not urn:
            raise click.BadParameter("a headteacher needs --school URN", param_hint="--school")
        query = db.select(School).where(School.urn == urn)
        if la_code:
            query = query.join(LocalAuthority, School.la_id == LocalAuthority.id).where(LocalAuthority.code == la_code)
        matches = list(db.session.scalars(query))
        if not matches:
            raise click.BadParameter(f"no school with URN {urn} (import the LA's schools first)", param_hint="--school")
        if len(matches) > 1:
            raise click.BadParameter(f"URN {urn} is held by several LAs; add --la", param_hint="--la")
        school = matches[0]
        la = db.session.get(LocalAuthority, school.la_id)
    else:
        if not la_code:
            raise click.BadParameter("an la_admin needs --la CODE", param_hint="--la")
        la = db.session.scalar(db.select(LocalAuthority).where(LocalAuthority.code == la_code))
        if la is None:
            la = LocalAuthority(code=la_code, name=f"LA {la_code}")
            db.session.add(la)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        user = User(email=email)
        db.session.add(user)
    else:
        # Re-keying replaces the user's tokens: the old ones stop working.
        api_tokens.revoke(user)
    user.role, user.la, user.school = role, la, school
    token = issue_token(user)
    return user, token


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--la", "la_code", help="DfE LA code, e.g. 358 (required for la_admin)")
@click.option("--school", "urn", help="URN of the headteacher's school")
def create_command(email, role, la_code, urn):
    """Create a user and print a new API token (shown this once, stored hashed)."""
    user, token = create_user(email, role, la_code, urn)
    db.session.commit()
    click.echo(token)


def _user(email: str) -> User:
    user = db.session.scalar(db.select(User).where(db.func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no user {email}", param_hint="--email")
    return user


@tokens.command("list")
@click.option("--email", required=True)
def tokens_list_command(email):
    """List a user's API tokens: id, created, last used, expires, state (never the token itself)."""
    user = _user(email)
    rows = api_tokens.tokens_of(user)
    if not rows:
        click.echo(f"{user.email} has no API tokens")
        return
    click.echo(f"{'id':>6}  {'created':19}  {'last used':19}  {'expires':19}  state")
    for t in rows:
        when = [f"{d:%Y-%m-%d %H:%M:%S}" if d else "never" for d in (t.created_at, t.last_used_at, t.expires_at)]
        click.echo(f"{t.id:>6}  {when[0]:19}  {when[1]:19}  {when[2]:19}  {api_tokens.state(t)}")


@tokens.command("revoke")
@click.option("--email", required=True)
@click.option("--id", "token_id", type=int, help="the token to revoke (default: every token of the user)")
def tokens_revoke_command(email, token_id):
    """Revoke one API token of a user, or all of them."""
    user = _user(email)
    try:
        revoked = api_tokens.revoke(user, token_id)
    except NotFound as error:
        raise click.BadParameter(error.message, param_hint="--id") from None
    db.session.commit()
    click.echo(
        f"revoked {len(revoked)} token(s) of {user.email}"
        + (f": {', '.join(str(t.id) for t in revoked)}" if revoked else "")
    )


def register(app):
    app.cli.add_command(users)
