"""Property: any valid scenario posted to the service comes back as the same scenario.

Generated LAs (solver.generate) of random size and seed go in through POST /cycles
and out through GET /cycles/{id}/scenario; both sides, read by the solver's own
contract, must describe the same cycle (lists compared without their order).
"""

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import load_scenario
from solver.generate import generate


def canonical(data: dict):
    sc = load_scenario(data)
    out = {}
    for f in dataclasses.fields(sc):
        if not f.compare:
            continue
        value = getattr(sc, f.name)
        out[f.name] = sorted(value, key=repr) if isinstance(value, tuple) else value
    return out


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schools=st.integers(min_value=3, max_value=40), seed=st.integers(min_value=0, max_value=10**6))
def test_posted_scenario_comes_back_the_same(admin, schools, seed):
    scenario = generate(schools, seed=seed)
    response = admin.post("/api/v1/cycles", json=scenario)
    assert response.status_code == 201, response.json
    back = admin.get(f"/api/v1/cycles/{response.json['id']}/scenario").json
    admin.delete(f"/api/v1/cycles/{response.json['id']}")
    for school in admin.get("/api/v1/schools").json:  # the next example starts from an empty pool
        admin.delete(f"/api/v1/schools/{school['urn']}")
    for reviewer in admin.get("/api/v1/reviewers").json:
        admin.delete(f"/api/v1/reviewers/{reviewer['id']}")
    assert canonical(back) == canonical(scenario)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schools=st.integers(min_value=6, max_value=40), seed=st.integers(min_value=0, max_value=10**6))
def test_a_posted_groups_scenario_comes_back_the_same(admin, schools, seed):
    """v1.1: the model, its settings, the reviews' own fields and the groups of earlier rounds."""
    scenario = generate(schools, seed=seed, model="groups")
    response = admin.post("/api/v1/cycles", json=scenario)
    assert response.status_code == 201, response.json
    back = admin.get(f"/api/v1/cycles/{response.json['id']}/scenario").json
    admin.delete(f"/api/v1/cycles/{response.json['id']}")
    for school in admin.get("/api/v1/schools").json:
        admin.delete(f"/api/v1/schools/{school['urn']}")
    for reviewer in admin.get("/api/v1/reviewers").json:
        admin.delete(f"/api/v1/reviewers/{reviewer['id']}")
    assert back["version"] == "1.1" and back["cycle"]["model"] == "groups"
    assert canonical(back) == canonical(scenario)
