"""`flask --app service users create ...`: the way to give someone access."""

import click
from flask.cli import AppGroup

from .auth import issue_token
from .extensions import db
from .models import ROLES, LocalAuthority, School, User

users = AppGroup("users", help="Manage users and their API tokens.")


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


def register(app):
    app.cli.add_command(users)
