def test_health(client):
    assert client.get("/healthz").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 200, r.json


def test_vertical_slice(admin, solved, head):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    assert plan["version"] == 1 and plan["reviews"]
    visits = head.get("/api/v1/me/visits").json
    assert visits
