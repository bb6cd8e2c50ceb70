"""The audit trail: who did what and when, to the LA's officers only, and never editable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from api_helpers import wait_solve


def test_actions_are_recorded_with_who_and_when(app, admin, cycle_id):
    solve = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json
    assert wait_solve(admin, solve["id"])["status"] == "finished"
    assert admin.patch(f"/api/v1/cycles/{cycle_id}", json={"backfill_budget": 50000}).status_code == 200
    assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 1}).status_code == 200
    events = admin.get("/api/v1/audit").json
    assert [e["action"] for e in events] == ["plan.published", "cycle.updated", "solve.started", "cycle.created"]
    assert {e["actor"] for e in events} == {"officer@trafford.example"}
    assert all(e["cycle_id"] == cycle_id and e["created_at"].endswith("+00:00") for e in events)
    updated = events[1]
    assert updated["details"]["before"] == {"backfill_budget": None}
    assert updated["details"]["after"] == {"backfill_budget": 50000.0}
    assert updated["summary"].startswith("changed backfill_budget of ")
    assert events[2]["details"]["solve"] == solve["id"]
    one = admin.get(f"/api/v1/audit/{events[0]['id']}")
    assert one.status_code == 200 and one.json == events[0]


def test_filter_by_action_and_pages(admin, cycle_id):
    for budget in (1000, 2000, 3000):
        assert admin.patch(f"/api/v1/cycles/{cycle_id}", json={"backfill_budget": budget}).status_code == 200
    only = admin.get("/api/v1/audit?action=cycle.updated").json
    assert [e["details"]["after"]["backfill_budget"] for e in only] == [3000.0, 2000.0, 1000.0]
    assert [e["action"] for e in admin.get("/api/v1/audit?action=cycle").json] == ["cycle.updated"] * 3 + [
        "cycle.created"
    ]
    page = admin.get("/api/v1/audit?page=2&page_size=2")
    assert page.status_code == 200 and [e["action"] for e in page.json] == ["cycle.updated", "cycle.created"]
    assert '"total": 4' in page.headers["X-Pagination"]
    body = admin.get("/api/v1/audit?action=cycle.eaten").json
    assert body["code"] == 422 and "query.action" in body["errors"]


def test_only_the_las_own_officers_read_it(client, admin, other_admin, head, cycle_id):
    event = admin.get("/api/v1/audit").json[0]
    assert other_admin.get("/api/v1/audit").json == []
    assert other_admin.get(f"/api/v1/audit/{event['id']}").status_code == 404
    assert head.get("/api/v1/audit").status_code == 403
    assert head.get(f"/api/v1/audit/{event['id']}").status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_the_api_offers_no_way_to_change_or_delete_an_event(app, admin, cycle_id):
    event = admin.get("/api/v1/audit").json[0]
    for method in ("put", "patch", "delete"):
        assert getattr(admin, method)(f"/api/v1/audit/{event['id']}", json={"summary": "nothing"}).status_code == 405
        assert getattr(admin, method)("/api/v1/audit", json={}).status_code == 405
    assert admin.post("/api/v1/audit", json={"action": "cycle.created"}).status_code == 405
    spec = admin.get("/api/openapi.json").json
    audit_paths = {p: set(ops) - {"parameters"} for p, ops in spec["paths"].items() if p.startswith("/api/v1/audit")}
    assert audit_paths == {"/api/v1/audit": {"get"}, "/api/v1/audit/{event_id}": {"get"}}
    assert admin.get(f"/api/v1/audit/{event['id']}").json == event


def test_the_session_and_the_database_refuse_to_change_an_event(app, admin, cycle_id):
    from service.extensions import db
    from service.records import AuditEvent, AuditImmutable

    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent))
        event.summary = "rewritten"
        with pytest.raises(AuditImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(sa.select(AuditEvent)))
        with pytest.raises(AuditImmutable):
            db.session.flush()
        db.session.rollback()
        # Past the session, straight SQL: the database's own trigger.
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text("UPDATE audit_events SET summary = 'rewritten'"))
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(sa.text("DELETE FROM audit_events"))
            db.session.rollback()
        assert db.session.scalar(sa.select(AuditEvent.summary)).startswith("created cycle")


def test_imports_are_recorded(admin, cycle_id):
    csv = b"id,name,school_urn,lead_accredited,max_reviews,day_rate\nr-77,New Head,106283,true,1,400\n"
    response = admin.post("/api/v1/reviewers/import", data={"file": (__import__("io").BytesIO(csv), "r.csv")})
    assert response.status_code == 200, response.json
    event = admin.get("/api/v1/audit?action=pool").json[0]
    assert event["action"] == "pool.reviewers_imported" and event["details"] == response.json
    assert event["cycle_id"] is None
