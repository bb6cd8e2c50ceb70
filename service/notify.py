"""Telling headteachers about a publication: who is affected, what their mail says, the outbox.

Publishing writes one outbox row per headteacher (`queue_publication`) in the publication's
own transaction; once that commits, the rows are handed to a job (RQ's `MAIL_QUEUE` when
`REDIS_URL` is set, else a thread of this process) that sends them (`deliver`). A failed send
is tried again after `MAIL_RETRY_S`, up to `MAIL_MAX_ATTEMPTS` times, then marked failed; the
cycle page lists what is failed or waiting, and an officer can send the failed ones again.
Nothing here ever touches the publication itself.

Affected: on a cycle's first publication, every school that hosts a visit or whose reviewers
make one; on a later one, every school whose visits (hosted or made by its reviewers) changed
since the plan published before. Each headteacher account of such a school gets the mail.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import sqlalchemy as sa
from flask import current_app
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import audit, mail
from .errors import Conflict as ConflictError
from .exports import calendar, names
from .extensions import db
from .models import Cycle, PlanVersion, School, User, utcnow
from .plans import diff
from .records import MailMessage
from .solves import redis_connection

log = logging.getLogger(__name__)

# A row claimed for sending this long ago belongs to a sender that died mid-way.
STALE_SENDING = dt.timedelta(minutes=10)
_DISPATCH_KEY = "mail_dispatch"


# --------------------------------------------------------------------------- who and what


def _longdate(value: str) -> str:
    day = dt.date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def _when(visit: dict) -> str:
    days = visit.get("days") or [visit["date"]]
    return _longdate(days[0]) + (f" to {_longdate(days[-1])}" if len(days) > 1 else "")


def affected_schools(cycle: Cycle, before: dict | None, after: dict) -> dict[str, dict]:
    """School URN -> its visits now (`hosting`, `reviewing`) and its changes, for every school
    the publication concerns (see the module's docstring)."""
    schools, reviewers = names(cycle)
    home = {rid: r.school.urn for rid, r in reviewers.items() if r.school is not None}
    out: dict[str, dict] = {}

    def entry(urn):
        return out.setdefault(urn, {"hosting": [], "reviewing": [], "changes": []})

    def name(rid):
        r = reviewers.get(rid)
        return r.name if r and r.name else rid

    def school_name(urn):
        s = schools.get(urn)
        return s.name if s and s.name else urn

    involved = {}
    for visit in after.get("reviews", []):
        involved.setdefault(visit["school_urn"], set()).add(("hosting", visit["school_urn"]))
        for m in visit["team"]:
            if m["reviewer"] in home:
                involved.setdefault(home[m["reviewer"]], set()).add(("reviewing", visit["school_urn"]))
    if before is None:
        for urn in involved:
            entry(urn)
    else:
        old = {v["school_urn"]: v for v in before.get("reviews", [])}
        new = {v["school_urn"]: v for v in after.get("reviews", [])}
        for change in diff(before, after)["changes"]:
            urn = change["school_urn"]
            a, b = old.get(urn), new.get(urn)
            where = school_name(urn)
            if change["change"] == "added":
                entry(urn)["changes"].append(f"A visit to your school is now planned for {_when(b)}.")
            elif change["change"] == "removed":
                entry(urn)["changes"].append(f"The visit to your school on {_when(a)} is cancelled.")
            elif change["date_before"] != change["date_after"]:
                entry(urn)["changes"].append(f"The visit to your school moves from {_when(a)} to {_when(b)}.")
            if change["change"] == "changed" and (change["joined"] or change["left"] or change["role_changed"]):
                entry(urn)["changes"].append(f"The team visiting your school on {_when(b)} has changed.")
            before_team = {m["reviewer"] for m in (a or {}).get("team", [])}
            after_team = {m["reviewer"] for m in (b or {}).get("team", [])}
            for rid in sorted((before_team | after_team) & set(home)):
                mine = entry(home[rid])["changes"]
                if rid in change["left"] or (b is None and rid in before_team):
                    mine.append(f"{name(rid)} no longer visits {where} on {_when(a)}.")
                elif rid in change["joined"] or (a is None and rid in after_team):
                    mine.append(f"{name(rid)} now visits {where} on {_when(b)}.")
                elif change["date_before"] != change["date_after"]:
                    mine.append(f"{name(rid)}'s visit to {where} moves from {_when(a)} to {_when(b)}.")
                elif rid in change["role_changed"]:
                    mine.append(f"{name(rid)} has a new role on the visit to {where} on {_when(b)}.")
    for urn, data in out.items():
        for kind, visited in sorted(involved.get(urn, ())):
            visit = next(v for v in after["reviews"] if v["school_urn"] == visited)
            data[kind].append(visit)
    return out


def _team_line(visit: dict, reviewers: dict, schools: dict) -> str:
    parts = []
    for m in visit["team"]:
        r = reviewers.get(m["reviewer"])
        who = r.name if r and r.name else m["reviewer"]
        home = r.school.name if r and r.school and r.school.name else None
        parts.append(f"{who} ({m['role']}{', ' + home if home and home not in who else ''})")
    return "; ".join(parts)


def compose(cycle: Cycle, version: PlanVersion, before: PlanVersion | None, school: School, data: dict, config):
    """Subject, body and .ics of the mail about this publication for one school."""
    schools, reviewers = names(cycle)
    lines = [
        f"Dear headteacher of {school.name or school.urn},",
        "",
        f"The local authority has published version {version.number} of the plan for {cycle.name}.",
    ]
    if before is not None:
        lines += ["", f"What changes for your school since version {before.number}:"]
        lines += [f"- {c}" for c in data["changes"]] or ["- nothing"]
    lines += ["", "Visit to your school:"]
    lines += [f"- {_when(v)}. Team: {_team_line(v, reviewers, schools)}" for v in data["hosting"]] or [
        "- none in this plan"
    ]
    lines += ["", "Visits by your school's reviewers:"]
    mine = {rid for rid, r in reviewers.items() if r.school_id == school.id}
    for v in data["reviewing"]:
        visited = schools.get(v["school_urn"])
        who = ", ".join(
            (reviewers[m["reviewer"]].name or m["reviewer"]) + f" ({m['role']})"
            for m in v["team"]
            if m["reviewer"] in mine
        )
        lines.append(f"- {_when(v)}: {who} visits {visited.name if visited and visited.name else v['school_urn']}.")
    if not data["reviewing"]:
        lines.append("- none in this plan")
    page = config["PUBLIC_URL"] + "/school"
    lines += [""]
    if mail.backend(config) == "notify":
        lines.append(f"Your page shows these visits and a calendar link to add them to your calendar: {page}")
    else:
        lines.append(f"The attached calendar file ({mail.ICS_NAME}) holds these visits. Your page: {page}")
    lines += ["", f"{cycle.name}, {cycle.window_start:%d %B %Y} to {cycle.window_end:%d %B %Y}."]
    visits = data["hosting"] + data["reviewing"]
    ics = calendar(
        visits,
        name=f"Peer review: {school.name or school.urn}",
        cycle_of=lambda _v: cycle,
        version_of=lambda _v: version.number,
    ).decode()
    subject = f"Peer review visits published: {cycle.name} (version {version.number})"
    if before is not None:
        subject = f"Peer review visits changed: {cycle.name} (version {version.number})"
    return subject, "\n".join(lines) + "\n", ics, page


def queue_publication(cycle: Cycle, version: PlanVersion, before: PlanVersion | None) -> dict:
    """One outbox row per headteacher of each affected school (the caller commits); sending
    starts once the transaction commits. Returns counts for the audit trail."""
    config = current_app.config
    affected = affected_schools(cycle, before.plan if before else None, version.plan)
    if not affected:
        return {"schools": 0, "mails": 0, "without_account": []}
    schools = {
        s.urn: s
        for s in db.session.scalars(db.select(School).where(School.la_id == cycle.la_id, School.urn.in_(affected)))
    }
    heads: dict[int, list[User]] = {}
    for user in db.session.scalars(
        db.select(User).where(
            User.la_id == cycle.la_id, User.role == "headteacher", User.school_id.in_([s.id for s in schools.values()])
        )
    ):
        heads.setdefault(user.school_id, []).append(user)
    rows, without = [], []
    for urn in sorted(affected):
        school = schools.get(urn)
        if school is None:
            continue
        if not heads.get(school.id):
            without.append(urn)
            continue
        subject, body, ics, page = compose(cycle, version, before, school, affected[urn], config)
        for user in heads[school.id]:
            row = MailMessage(
                cycle_id=cycle.id,
                plan_version_id=version.id,
                user_id=user.id,
                school_urn=urn,
                to_address=user.email,
                subject=subject,
                body=body,
                ics=ics,
                page_url=page,
                status="pending",
                attempts=0,
                max_attempts=config["MAIL_MAX_ATTEMPTS"],
                next_attempt_at=utcnow(),
            )
            db.session.add(row)
            rows.append(row)
    db.session.flush()
    _dispatch_after_commit([r.id for r in rows])
    return {"schools": len(affected), "mails": len(rows), "without_account": without}


# --------------------------------------------------------------------------- handing rows to a sender


def _dispatch_after_commit(ids: list[int]) -> None:
    if ids:
        db.session().info.setdefault(_DISPATCH_KEY, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    ids = session.info.pop(_DISPATCH_KEY, None)
    if ids:
        try:
            dispatch(ids)
        except Exception:  # the rows are stored: the worker's sweep or an officer sends them later
            log.warning("could not hand %d mail(s) to a sender", len(ids), exc_info=True)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_DISPATCH_KEY, None)


def dispatch(ids: list[int]) -> None:
    """Send these outbox rows: an RQ job when `REDIS_URL` is set, else a thread of this process."""
    app = current_app._get_current_object()
    job = app.config["MAIL_JOB"]
    if app.config.get("REDIS_URL"):
        Queue(app.config["MAIL_QUEUE"], connection=redis_connection()).enqueue(
            job, list(ids), job_timeout=600, result_ttl=3600, failure_ttl=7 * 24 * 3600, description="mail"
        )
        return

    def run():
        with app.app_context():
            try:
                wait = deliver(ids)
                while wait is not None:
                    time.sleep(wait)
                    wait = deliver(ids)
            except Exception:
                log.exception("sending mails %s failed", ids)
            finally:
                db.session.remove()

    threading.Thread(target=run, name=f"mail-{ids[0]}", daemon=True).start()


# --------------------------------------------------------------------------- sending


def _claim(row_id: int, now: dt.datetime) -> bool:
    """pending and due -> sending, atomically: two senders never send one row twice."""
    claimed = db.session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.id == row_id,
            MailMessage.status == "pending",
            sa.or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now),
        )
        .values(status="sending", claimed_at=now)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _retry_delay(config, attempts: int) -> float:
    waits = config["MAIL_RETRY_S"] or [60.0]
    return waits[min(attempts - 1, len(waits) - 1)]


def deliver(ids: list[int]) -> float | None:
    """Try every due row of `ids` once. Seconds until the next retry is due (None: nothing left)."""
    config = current_app.config
    now = utcnow()
    # A sender that died mid-way left its rows "sending": they are due again.
    db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id.in_(ids), MailMessage.status == "sending", MailMessage.claimed_at < now - STALE_SENDING)
        .values(status="pending")
    )
    db.session.commit()
    for row_id in ids:
        if not _claim(row_id, utcnow()):
            continue
        row = db.session.get(MailMessage, row_id, populate_existing=True)
        out = mail.Outgoing(row.to_address, row.subject, row.body, row.ics, row.page_url, str(row.id))
        row.attempts += 1
        try:
            row.backend, row.provider_ref = mail.send(out, config)
            row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", utcnow(), None, None
            log.info("mail %s sent to %s by %s", row.id, row.to_address, row.backend)
        except mail.SendError as exc:
            row.backend = mail.backend(config) if not exc.permanent else row.backend
            row.last_error = str(exc)[:2000]
            if exc.permanent or row.attempts >= row.max_attempts:
                row.status, row.next_attempt_at = "failed", None
                log.warning("mail %s to %s failed for good: %s", row.id, row.to_address, exc)
            else:
                row.status = "pending"
                row.next_attempt_at = utcnow() + dt.timedelta(seconds=_retry_delay(config, row.attempts))
                log.info("mail %s to %s failed, retrying: %s", row.id, row.to_address, exc)
        db.session.commit()
    due = db.session.scalar(
        db.select(sa.func.min(MailMessage.next_attempt_at)).where(
            MailMessage.id.in_(ids), MailMessage.status == "pending"
        )
    )
    if due is None:
        return None
    return max(0.05, (due - utcnow()).total_seconds())


def sweep() -> int:
    """Hand rows whose sender was lost (a stale claim, or a retry overdue by a minute) to a new
    one; the worker calls it every few seconds. How many it handed on."""
    now = utcnow()
    ids = list(
        db.session.scalars(
            db.select(MailMessage.id).where(
                sa.or_(
                    sa.and_(MailMessage.status == "sending", MailMessage.claimed_at < now - STALE_SENDING),
                    sa.and_(
                        MailMessage.status == "pending", MailMessage.next_attempt_at < now - dt.timedelta(minutes=1)
                    ),
                )
            )
        )
    )
    if ids:
        dispatch(ids)
    return len(ids)


# --------------------------------------------------------------------------- the officer's view


def outbox(cycle: Cycle, *, status: str | None = None) -> list[MailMessage]:
    query = db.select(MailMessage).where(MailMessage.cycle_id == cycle.id)
    if status:
        query = query.where(MailMessage.status == status)
    return list(db.session.scalars(query.order_by(MailMessage.id.desc())))


def summary(cycle: Cycle) -> dict:
    """Counts by status and the rows an officer should see (failed, or not sent yet)."""
    counts = dict(
        db.session.execute(
            db.select(MailMessage.status, sa.func.count())
            .where(MailMessage.cycle_id == cycle.id)
            .group_by(MailMessage.status)
        ).all()
    )
    waiting = list(
        db.session.scalars(
            db.select(MailMessage)
            .where(MailMessage.cycle_id == cycle.id, MailMessage.status.in_(("failed", "pending", "sending")))
            .order_by(MailMessage.status, MailMessage.id)
        )
    )
    return {"counts": {s: counts.get(s, 0) for s in ("sent", "pending", "sending", "failed")}, "waiting": waiting}


def retry_failed(cycle: Cycle, *, actor: User | None = None) -> int:
    """Send the cycle's failed mails again (each gets another `MAIL_MAX_ATTEMPTS` tries)."""
    rows = outbox(cycle, status="failed")
    if not rows:
        raise ConflictError("there is no failed mail to send again")
    for row in rows:
        row.status, row.next_attempt_at = "pending", utcnow()
        row.max_attempts = row.attempts + current_app.config["MAIL_MAX_ATTEMPTS"]
    db.session.flush()
    _dispatch_after_commit([r.id for r in rows])
    audit.cycle_event("mail.retried", cycle, f"sent {len(rows)} failed mail(s) again", actor=actor, mails=len(rows))
    return len(rows)
