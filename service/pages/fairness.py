"""The fair-load report pages: per cycle and per school year, a table and a chart, and as CSV
(`service.fairness` computes it)."""

from __future__ import annotations

from flask import Response, render_template, request, url_for

from .. import fairness
from . import overview
from .blueprint import bp
from .views import page


@bp.get("/cycles/<int:cycle_id>/fairness")
@page("la_admin")
def cycle_fairness(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    return render_template(
        "pages/fairness.html",
        title=f"Fair load: {cycle.name}",
        report=fairness.cycle_report(cycle),
        cycle=cycle,
        csv_url=url_for("pages.cycle_fairness_csv", cycle_id=cycle.id),
        years=fairness.years_with_plans(user.la_id),
        label=fairness.year_label,
    )


@bp.get("/cycles/<int:cycle_id>/fairness.csv")
@page("la_admin")
def cycle_fairness_csv(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    return _csv(fairness.cycle_report(cycle), f"cycle-{cycle.id}-fair-load.csv")


@bp.get("/fairness")
@page("la_admin")
def year_fairness(user):
    year = request.args.get("year", type=int) or fairness.latest_year(user.la_id)
    return render_template(
        "pages/fairness.html",
        title=f"Fair load: school year {fairness.year_label(year)}",
        report=fairness.year_report(user.la_id, year),
        cycle=None,
        csv_url=url_for("pages.year_fairness_csv", year=year),
        years=fairness.years_with_plans(user.la_id),
        label=fairness.year_label,
    )


@bp.get("/fairness.csv")
@page("la_admin")
def year_fairness_csv(user):
    year = request.args.get("year", type=int) or fairness.latest_year(user.la_id)
    return _csv(fairness.year_report(user.la_id, year), f"fair-load-{fairness.year_label(year)}.csv")


def _csv(report: fairness.Report, name: str) -> Response:
    return Response(
        fairness.as_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
