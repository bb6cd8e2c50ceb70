"""Rebuild gias_trafford_sample.csv: real Trafford rows laid out as a GIAS establishment extract.

Source: Trafford Data Lab's republication of GIAS (2024-09-26, Open Government
Licence v3), `shared/data/gias/trafford_schools_and_colleges_20240926.csv`.
Easting/Northing are computed from its lat/lon with pyproj (EPSG:4326 -> 27700);
the phase is what GIAS gives for that age range and type; columns the source
lacks are left blank. The file is written as GIAS ships it: Windows-1252, with
the 140 columns of edubasealldata20250422-columns.txt.

Run: python tests/service/data/make_gias_sample.py [path/to/trafford.csv]
"""

import csv
import os
import sys

from pyproj import Transformer

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.path.join(HERE, "..", "..", "..", "service", "data", "trafford_schools_and_colleges_20240926.csv")
)
URNS = [
    "106283",
    "106304",
    "106167",
    "106391",
    "106343",
    "137289",
    "138464",
    "143104",
    "130519",
    "134469",
    "106394",
    "142288",
]
TYPES = {
    "Local authority maintained schools": ("Community school", "Local authority maintained schools"),
    "Academies": ("Academy converter", "Academies"),
    "Special schools": ("Community special school", "Special schools"),
    "Colleges": ("Further education", "Colleges"),
    "Independent schools": ("Other independent school", "Independent schools"),
    "Free Schools": ("Free schools", "Free Schools"),
}


def gias_phase(row) -> str:
    low, high = int(row["lowest_admission_age"]), int(row["highest_admission_age"])
    if row["type"] == "Special schools":
        return "Not applicable"
    if low >= 16:
        return "16 plus"
    if low >= 11:
        return "Secondary"
    if high <= 11:
        return "Primary"
    return "All-through"


def main():
    columns = [c for c in open(os.path.join(HERE, "edubasealldata20250422-columns.txt")).read().splitlines() if c]
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    rows = {r["unique_reference_number"]: r for r in csv.DictReader(open(SOURCE, encoding="utf-8"))}
    out = open(os.path.join(HERE, "gias_trafford_sample.csv"), "w", encoding="cp1252", newline="")
    writer = csv.DictWriter(out, columns, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writeheader()
    for urn in URNS:
        r = rows[urn]
        easting, northing = to_bng.transform(float(r["lon"]), float(r["lat"]))
        type_name, group = TYPES[r["type"]]
        trust = "" if r["sponsoring_trust"] == "NA" else r["sponsoring_trust"]
        writer.writerow(
            {
                "URN": urn,
                "LA (code)": r["local_authority_code"],
                "LA (name)": "Trafford",
                "EstablishmentNumber": r["establishment_number"],
                "EstablishmentName": r["name"],
                "TypeOfEstablishment (name)": type_name,
                "EstablishmentTypeGroup (name)": group,
                "EstablishmentStatus (code)": "1",
                "EstablishmentStatus (name)": "Open",
                "PhaseOfEducation (name)": gias_phase(r),
                "StatutoryLowAge": r["lowest_admission_age"],
                "StatutoryHighAge": r["highest_admission_age"],
                "Gender (name)": r["gender"],
                "SchoolCapacity": r["capacity"],
                "ReligiousCharacter (name)": r["religion"],
                "PercentageFSM": r["percent_fsm"],
                "Trusts (name)": trust,
                "TrustSchoolFlag (name)": "Supported by a trust" if trust else "Not applicable",
                "Postcode": r["postcode"],
                "SchoolWebsite": r["website"],
                "Easting": f"{easting:.0f}",
                "Northing": f"{northing:.0f}",
                "OfstedRating (name)": r["ofsted_rating"],
                "Country (name)": "United Kingdom",
            }
        )
    out.close()


if __name__ == "__main__":
    main()
