"""Helpers and names shared by the page tests."""

from __future__ import annotations

# The tiny cycle's published plan (deterministic): Well Green (106288) is visited by r-03 and
# r-02; Well Green's own head, r-04, visits Navigation (106283) with r-05.
HEAD_URN, HEAD_EMAIL, HEAD_REVIEWER = "106288", "head@wellgreen.example", "r-04"
OTHER_URN, OTHER_EMAIL, OTHER_REVIEWER = "106290", "head@oldfield.example", "r-06"  # Oldfield Brow
OFFICER_EMAIL = "officer@trafford.example"
OTHER_LA_EMAIL = "officer@banes.example"


def login_path(app, email, minutes=15) -> str:
    """A fresh one-time sign-in path for `email` (what `users login-link` prints, without the host)."""
    from service.extensions import db
    from service.pages.signin import find_user, issue_login_link

    with app.app_context():
        token = issue_login_link(find_user(email), minutes)
        db.session.commit()
    return f"/sign-in/{token}"
