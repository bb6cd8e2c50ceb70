"""docs/ is the contract, kept in step with the code.

- docs/api.md against the OpenAPI document the app generates from its schemas, both ways:
  every endpoint the doc requires exists, and every operation under /api/v1 is named in the doc;
- docs/scenario.md's JSON examples load with the solver's own marshmallow schemas, and name
  every key those schemas accept (a new input field cannot land without its line in the doc);
- docs/scenario-v1.1.md's worked example is a valid v1.1 scenario, its plan passes the checker
  against it, and the two docs together name every key (v1's in scenario.md, v1.1's in either).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from service import create_app
from solver import check, solve
from solver.plan import PlanSchema
from solver.scenario import ScenarioSchema, load_scenario

DOCS = Path(__file__).resolve().parent.parent / "docs"
OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def normalise(path: str) -> str:
    """`/cycles/{cycle_id}`, `/cycles/{id}` and Flask's `/cycles/<int:cycle_id>` are one path."""
    return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", path)


def operations(markdown: str) -> set[tuple[str, str]]:
    return {(method, normalise(path)) for method, path in OPERATION.findall(markdown)}


def section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    assert match, f"docs/api.md has no '## {title}' section"
    return match.group(1)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("contract") / "service.sqlite3"
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "REDIS_URL": None, "TESTING": True})


@pytest.fixture(scope="module")
def openapi(app) -> set[tuple[str, str]]:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    return {
        (method.upper(), normalise(path))
        for path, item in response.json["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


@pytest.fixture(scope="module")
def api_md() -> str:
    return (DOCS / "api.md").read_text(encoding="utf-8")


def test_the_parsing_sees_the_contract(api_md, openapi):
    # Without this, an empty table or a renamed prefix would let the two checks below pass on nothing.
    required = operations(section(api_md, "Endpoints"))
    assert ("POST", "/api/v1/cycles") in required and ("GET", "/healthz") in required
    assert len(required) >= 14
    assert ("DELETE", "/api/v1/solves/{}") in openapi
    assert len({op for op in openapi if op[1].startswith("/api/v1/")}) >= 14
    assert normalise("/api/v1/cycles/<int:cycle_id>/plan/visits/<urn>") == "/api/v1/cycles/{}/plan/visits/{}"


def test_every_required_endpoint_exists(api_md, openapi, app):
    """Each `METHOD /path` of the Endpoints table: in the OpenAPI document when it is JSON API,
    otherwise (health probes, the OpenAPI document and page themselves) a route of the app."""
    routes = {(method, normalise(rule.rule)) for rule in app.url_map.iter_rules() for method in rule.methods or ()}
    missing = []
    for op in sorted(operations(section(api_md, "Endpoints"))):
        if op[1].startswith("/api/v1/"):
            if op not in openapi:
                missing.append(f"{op[0]} {op[1]}: not in /api/openapi.json")
        elif op not in routes:
            missing.append(f"{op[0]} {op[1]}: no such route in the app")
    assert not missing, "docs/api.md requires what the service does not offer:\n" + "\n".join(missing)


def test_every_operation_is_in_the_doc(api_md, openapi):
    documented = operations(api_md)
    undocumented = sorted(op for op in openapi if op[1].startswith("/api/v1/") and op not in documented)
    assert not undocumented, (
        "operations in /api/openapi.json that docs/api.md does not name (add them to 'All operations'):\n"
        + "\n".join(f"{m} {p}" for m, p in undocumented)
    )


# --- scenario.md ---------------------------------------------------------------------------


def json_examples(doc: str = "scenario.md") -> list[dict]:
    text = (DOCS / doc).read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"^```json\n(.*?)^```", text, re.S | re.M)]


def example(kind: str, doc: str = "scenario.md") -> dict:
    found = [e for e in json_examples(doc) if ("cycle" if kind == "scenario" else "status") in e]
    assert len(found) == 1, f"docs/{doc} should have one {kind} example, has {len(found)}"
    return found[0]


def unnamed_keys(schema: Schema, data, path: str = "") -> list[str]:
    """Keys the schema accepts that the example never shows (looking into every item of a list)."""
    if isinstance(data, list):
        return sorted({k for item in data for k in unnamed_keys(schema, item, path + "[]")}) if data else []
    out = []
    for attr, field in schema.fields.items():
        name = field.data_key or attr  # the key in JSON
        where = f"{path}.{name}" if path else name
        if name not in data:
            out.append(where)
            continue
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and data[name] is not None:
            out += unnamed_keys(inner.schema, data[name], where)
    return out


def test_the_scenario_example_is_a_valid_scenario():
    scenario = example("scenario")
    ScenarioSchema().load(scenario)
    # The example shows one school of several; with the schools it names added, it loads whole
    # (cross-references, dates inside the window, unique ids).
    named = {r["school_urn"] for r in scenario["reviews"]}
    named |= {x["school_urn"] for key in ("conflicts", "history", "previous") for x in scenario[key]}
    named |= {q["school_urn"] for q in scenario["support"]["requests"]}
    shown = {s["urn"] for s in scenario["schools"]}
    whole = scenario | {
        "schools": scenario["schools"] + [{"urn": u, "phase": "primary"} for u in sorted(named - shown)]
    }
    loaded = load_scenario(whole)
    assert loaded.cycle.policy.max_travel_km == scenario["cycle"]["policy"]["max_travel_km"]


def test_the_plan_example_is_a_valid_plan():
    plan = example("plan")
    loaded = PlanSchema().load(plan)
    assert loaded["status"] == plan["status"]


def test_the_doc_names_every_key_the_schemas_accept():
    # Shown in an example, or (when an example cannot show it: a conflict has a reviewer *or* a
    # provider) named in the field notes. v1.1's keys may be shown or named in its own doc.
    text = (DOCS / "scenario.md").read_text(encoding="utf-8") + (DOCS / "scenario-v1.1.md").read_text(encoding="utf-8")
    unshown_in_v1_1 = set(unnamed_keys(ScenarioSchema(), example("scenario", "scenario-v1.1.md"))) | {
        "plan." + k for k in unnamed_keys(PlanSchema(), example("plan", "scenario-v1.1.md"))
    }
    unshown = unnamed_keys(ScenarioSchema(), example("scenario")) + [
        "plan." + k for k in unnamed_keys(PlanSchema(), example("plan"))
    ]
    unshown = [k for k in unshown if k in unshown_in_v1_1]
    cut = example("scenario")
    del cut["cycle"]["policy"]["max_travel_km"], cut["reviewers"][0]["unavailable"]
    assert {"cycle.policy.max_travel_km", "reviewers[].unavailable"} <= set(unnamed_keys(ScenarioSchema(), cut))
    missing = [k for k in unshown if f"`{k.rsplit('.', 1)[-1]}`" not in text]
    assert not missing, "keys the solver accepts that docs/scenario.md neither shows nor names:\n" + "\n".join(missing)


# --- scenario-v1.1.md ----------------------------------------------------------------------------


def test_the_v1_1_example_is_a_valid_scenario_and_its_plan_a_valid_plan():
    scenario, plan = example("scenario", "scenario-v1.1.md"), example("plan", "scenario-v1.1.md")
    loaded = load_scenario(scenario)
    assert loaded.version == "1.1" and loaded.cycle.model == "groups"
    assert PlanSchema().load(plan)["groups"] == plan["groups"]
    assert check(scenario, plan) == []


def test_the_v1_1_doc_names_the_loads_and_the_new_rules():
    text = (DOCS / "scenario-v1.1.md").read_text(encoding="utf-8")
    for rule in ("10. **Groups**", "11. **Rotation**", "12. **Follow-ups.**", "13. **Load.**"):
        assert rule in text


def test_the_v1_1_example_solves_to_the_plan_shown():
    scenario, shown = example("scenario", "scenario-v1.1.md"), example("plan", "scenario-v1.1.md")
    plan = solve(scenario, time_limit=10, workers=1)
    assert plan["status"] == shown["status"] == "OPTIMAL"
    assert round(plan["objective"], 2) == round(shown["objective"], 2)
    assert plan["groups"] == shown["groups"] and plan["unstaffed"] == shown["unstaffed"]
