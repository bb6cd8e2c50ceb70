"""Publishing tells every affected headteacher by mail: their visits, what changed, an .ics, a link.

A real SMTP server (aiosmtpd) receives the mails. On SQLite they are sent by a thread of the web
process; on PostgreSQL by an RQ worker of this test's own (`REDIS_URL` is set), as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import icalendar
import pytest
from api_helpers import make_user, wait_solve
from mailhelpers import FakeNotify, SMTPSink, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHOOLS = ["106283", "106284", "106285", "106288", "106289", "106290"]
# The tiny cycle's plan: Navigation (106283) visited by r-05 (of 106289) and r-04 (of 106288);
# Well Green (106288) by r-03 (of 106285) and r-02 (of 106284). 106290's r-06 is free. The days
# can tie in cost: the tests read them from the plan.
AFFECTED = {"106283", "106284", "106285", "106288", "106289"}


def head_email(urn):
    return f"head.{urn}@trafford.example"


def longdate(iso):
    import datetime as dt

    day = dt.date.fromisoformat(iso)
    return f"{day:%A} {day.day} {day:%B %Y}"


def dates(admin, cycle_id):
    plan = admin.get(f"/api/v1/cycles/{cycle_id}/plan").json
    return {v["school_urn"]: v["date"] for v in plan["reviews"]}


@pytest.fixture
def heads(app, cycle_id):
    for urn in SCHOOLS:
        make_user(app, head_email(urn), "headteacher", "358", urn)


@pytest.fixture
def mailer(app, backend):
    """`use(port)`: the app's mails go to SMTP on 127.0.0.1:port; under RQ, through a worker of our own."""
    workers = []

    def use(port, **settings):
        settings = {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_RETRY_S": [0.5],
            "MAIL_MAX_ATTEMPTS": 2,
        } | settings
        app.config.update(settings)
        if backend["config"]["REDIS_URL"]:
            queue = f"test-mail-{uuid.uuid4().hex[:8]}"
            app.config["MAIL_QUEUE"] = queue
            env = dict(os.environ) | {
                k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in settings.items()
            }
            env["MAIL_QUEUE"] = queue
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "rq.cli",
                        "worker",
                        "--with-scheduler",
                        "--url",
                        env["REDIS_URL"],
                        "--name",
                        queue,
                        queue,
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    yield use
    for proc in workers:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def sink():
    server = SMTPSink().start()
    yield server
    server.stop()


def solve_and_publish(admin, cycle_id, version=1):
    body = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json
    assert wait_solve(admin, body["id"])["status"] == "finished"
    response = admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": version})
    assert response.status_code == 200, response.json
    return response.json


def outbox_when(admin, cycle_id, done, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = admin.get(f"/api/v1/cycles/{cycle_id}/mail").json
        if done(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(f"outbox never got there: {rows}")


def calendar_of(message):
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_filename() == "peer-review-visits.ics"
    assert parts[0].get_param("method") == "PUBLISH"
    return icalendar.Calendar.from_ical(parts[0].get_content())


def test_publishing_mails_each_affected_headteacher_their_visits_and_an_ics(admin, cycle_id, heads, mailer, sink):
    mailer(sink.port)
    published = solve_and_publish(admin, cycle_id)
    assert published["mails"] == {"schools": 5, "mails": 5, "without_account": []}
    messages = sink.wait_for(5)
    time.sleep(0.5)
    assert len(sink.messages) == 5  # one each, no more
    assert {m["To"] for m in messages} == {head_email(u) for u in AFFECTED}
    assert all(rcpt == [m["To"]] for (_, rcpt), m in zip(sink.envelopes, messages))
    day = dates(admin, cycle_id)
    by_to = {m["To"]: m for m in messages}
    wellgreen = by_to[head_email("106288")]
    assert wellgreen["Subject"].strip() == "Peer review visits published: Autumn 2026 primary peer review (version 1)"
    text = wellgreen.get_body(("plain",)).get_content()
    assert "Dear headteacher of Well Green Primary School" in text
    assert f"{longdate(day['106288'])}. Team: Head 3 (lead" in text
    assert f"{longdate(day['106283'])}: Head 4 (member) visits Navigation Primary School." in text
    assert "http://127.0.0.1:5000/school" in text
    # The .ics holds exactly this school's visits: the one it hosts and the one its head makes.
    events = {str(e["UID"]): e for e in calendar_of(wellgreen).walk("VEVENT")}
    assert set(events) == {f"cycle-{cycle_id}-school-106288@peer-review", f"cycle-{cycle_id}-school-106283@peer-review"}
    assert events[f"cycle-{cycle_id}-school-106288@peer-review"].decoded("DTSTART").isoformat() == day["106288"]
    for message in messages:
        assert len(list(calendar_of(message).walk("VEVENT"))) >= 1
    rows = outbox_when(admin, cycle_id, lambda rows: all(r["status"] == "sent" for r in rows))
    assert len(rows) == 5 and {r["backend"] for r in rows} == {"smtp"} and {r["attempts"] for r in rows} == {1}
    event = admin.get(f"/api/v1/audit?action=plan.published&cycle_id={cycle_id}").json[0]
    assert event["details"]["mails"] == 5 and event["details"]["version"] == 1

    # A hand change, published: only the schools whose visits changed hear, and are told what changed.
    new_day = next(d for d in ("2026-09-09", "2026-09-10", "2026-09-08") if d not in day.values())
    moved = admin.post(
        f"/api/v1/cycles/{cycle_id}/hand-changes", json={"action": "move", "school_urn": "106283", "date": new_day}
    )
    assert moved.status_code == 201, moved.json
    again = admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 2}).json
    assert again["mails"]["mails"] == 3
    changed = sink.wait_for(8)[5:]
    assert {m["To"] for m in changed} == {head_email(u) for u in ("106283", "106288", "106289")}
    navigation = next(m for m in changed if m["To"] == head_email("106283"))
    assert navigation["Subject"].strip().startswith("Peer review visits changed:")
    assert (
        f"The visit to your school moves from {longdate(day['106283'])} to {longdate(new_day)}."
        in navigation.get_body(("plain",)).get_content()
    )
    event = next(iter(calendar_of(navigation).walk("VEVENT")))
    assert event.decoded("DTSTART").isoformat() == new_day and int(event["SEQUENCE"]) == 2


def test_a_failed_send_is_retried_shown_and_never_undoes_the_publication(admin, cycle_id, heads, mailer):
    port = free_port()  # nothing listens there yet
    mailer(port)
    solve_and_publish(admin, cycle_id)
    rows = outbox_when(admin, cycle_id, lambda rows: rows and all(r["status"] == "failed" for r in rows))
    assert len(rows) == 5 and {r["attempts"] for r in rows} == {2}
    assert all("not reachable" in r["last_error"] for r in rows)
    assert admin.get(f"/api/v1/cycles/{cycle_id}").json["published_version"] == 1
    # The server comes up; the officer sends the failed ones again.
    sink = SMTPSink(port).start()
    try:
        response = admin.post(f"/api/v1/cycles/{cycle_id}/mail/retry")
        assert response.status_code == 202 and response.json == {"retried": 5}
        assert len(sink.wait_for(5)) == 5
        rows = outbox_when(admin, cycle_id, lambda rows: all(r["status"] == "sent" for r in rows))
        assert {r["attempts"] for r in rows} == {3} and all(r["last_error"] is None for r in rows)
    finally:
        sink.stop()
    assert admin.post(f"/api/v1/cycles/{cycle_id}/mail/retry").status_code == 409  # nothing failed now


def test_with_no_mail_server_the_mails_are_files_in_the_instance_folder(app, admin, cycle_id, heads, tmp_path, backend):
    if backend["config"]["REDIS_URL"]:
        pytest.skip("the folder backend is the in-process demo's: one run on SQLite covers it")
    app.config.update(MAIL_SERVER=None, MAIL_FOLDER=str(tmp_path / "outbox"))
    solve_and_publish(admin, cycle_id)
    rows = outbox_when(admin, cycle_id, lambda rows: rows and all(r["status"] == "sent" for r in rows))
    assert {r["backend"] for r in rows} == {"folder"}
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 5
    import email
    import email.policy

    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] in {head_email(u) for u in AFFECTED}
    assert len(list(calendar_of(message).walk("VEVENT"))) >= 1


def test_gov_uk_notify_is_the_backend_when_its_key_is_set(app, admin, cycle_id, heads, backend):
    """The real notifications-python-client talks to a local stand-in for Notify's API (its JWT is
    checked as Notify checks it). A 500 is retried; a 400 fails at once."""
    if backend["config"]["REDIS_URL"]:
        pytest.skip("the backend choice does not depend on the runner: one run on SQLite covers it")
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    notify = FakeNotify(service_id, secret, answers=[500, 201])
    try:
        app.config.update(
            NOTIFY_API_KEY=f"test_key-{service_id}-{secret}",
            NOTIFY_TEMPLATE_ID="f33517ff-2a88-4f6e-b855-c550268ce08a",
            NOTIFY_BASE_URL=notify.url,
            MAIL_SERVER="127.0.0.1",  # Notify wins over SMTP when both are set
            MAIL_RETRY_S=[0.2],
        )
        solve_and_publish(admin, cycle_id)
        rows = outbox_when(admin, cycle_id, lambda rows: rows and all(r["status"] == "sent" for r in rows))
        assert {r["backend"] for r in rows} == {"notify"} and notify.refused == []
        assert sorted(r["attempts"] for r in rows) == [1, 1, 1, 1, 2]  # the first request got a 500
        sent = {body["email_address"]: body for body in notify.requests}
        assert set(sent) == {head_email(u) for u in AFFECTED}
        body = sent[head_email("106288")]
        assert body["template_id"] == "f33517ff-2a88-4f6e-b855-c550268ce08a"
        assert body["personalisation"]["subject"].startswith("Peer review visits published")
        assert "Well Green Primary School" in body["personalisation"]["body"]
        assert body["personalisation"]["page_url"] == "http://127.0.0.1:5000/school"
        assert body["reference"].startswith("outbox-")
    finally:
        notify.stop()
    # A request Notify rejects (400) is not tried again.
    notify = FakeNotify(service_id, secret, answers=[400])
    try:
        app.config.update(NOTIFY_BASE_URL=notify.url)
        taken = dates(admin, cycle_id).values()
        moved = admin.post(
            f"/api/v1/cycles/{cycle_id}/hand-changes",
            json={
                "action": "move",
                "school_urn": "106283",
                "date": next(d for d in ("2026-09-09", "2026-09-10", "2026-09-08") if d not in taken),
            },
        )
        assert moved.status_code == 201
        admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 2})
        failed = outbox_when(admin, cycle_id, lambda rows: len([r for r in rows if r["status"] == "failed"]) == 3)
        assert all(r["attempts"] == 1 and "400" in r["last_error"] for r in failed if r["status"] == "failed")
    finally:
        notify.stop()


def test_mail_endpoints_authorisation(client, head, other_admin, cycle_id):
    for api, code in ((client, 401), (head, 403), (other_admin, 404)):
        assert api.get(f"/api/v1/cycles/{cycle_id}/mail").status_code == code
        assert api.post(f"/api/v1/cycles/{cycle_id}/mail/retry").status_code == code
