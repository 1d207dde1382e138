"""Cohort builder: who is recommended a program; name, e-mail and department only."""

import csv
import io

import pytest

from core.cohort import COHORT_COLUMNS, NotAllowed, cohort, cohort_csv, cohort_locations
from core.db import session_scope
from core.users import add_user, current_user
from tests.test_demand import small_plan_org


@pytest.fixture
def org(engine):
    with session_scope(engine) as s:
        small_plan_org(s)
        add_user(s, username="cap", password="12345678", role="trainer")
        add_user(s, username="rrhh", password="12345678", role="hr")
        add_user(s, username="jefa", password="12345678", role="manager", employee_id="M")
        add_user(s, username="uno", password="12345678", role="employee", employee_id="E1")


def _names(frame) -> set[str]:
    return set(frame["full_name"])


def test_cohort_lists_recommended_people_with_allowed_columns_only(engine, org):
    with session_scope(engine, write=False) as s:
        cap = current_user(s, "cap")
        people = cohort(s, cap, "P1")
        assert tuple(people.columns) == COHORT_COLUMNS
        # E2 set P1 aside, E6 objected to scoring, E7 was anonymized
        assert _names(people) == {"Nombre E1", "Nombre E3", "Nombre E4", "Nombre E5"}
        assert set(people["email"]) == {"E1@x.pe", "E3@x.pe", "E4@x.pe", "E5@x.pe"}
        assert cohort_locations(s, cap, "P1") == ["Cusco", "Lima"]
        assert _names(cohort(s, cap, "P1", ["Cusco"])) == {"Nombre E4", "Nombre E5"}
        assert _names(cohort(s, cap, "P1", ["Lima", "Cusco"])) == _names(people)
        assert cohort(s, cap, "P1", ["Iquitos"]).empty
        assert tuple(cohort(s, cap, "P1", ["Iquitos"]).columns) == COHORT_COLUMNS
        # an older quarter's plans on request; the newest by default
        assert _names(cohort(s, cap, "P3", period="2025-Q4")) == {"Nombre E1"}
        assert _names(cohort(s, cap, "P3")) == {"Nombre E1", "Nombre E2", "Nombre E5"}
        assert _names(cohort(s, current_user(s, "rrhh"), "P1")) == _names(people)


def test_opted_out_and_anonymized_people_are_never_listed(engine, org):
    with session_scope(engine, write=False) as s:
        cap = current_user(s, "cap")
        for program in ("P1", "P2", "P3", "P4"):
            names = _names(cohort(s, cap, program))
            assert not names & {"Nombre E6", "Nombre E7"}


def test_cohort_csv_has_exactly_the_allowed_columns(engine, org):
    with session_scope(engine, write=False) as s:
        people = cohort(s, current_user(s, "cap"), "P1")
    # whatever a caller adds to the frame, the export keeps only the three columns
    leaky = people.assign(rating=4.0, expected_gain=0.3, risk=0.9, employee_id="E1")
    for lang, header in (("es", ["Nombre", "Correo", "Departamento"]),
                         ("en", ["Name", "E-mail", "Department"])):
        data = cohort_csv(leaky, lang).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(data)))
        assert rows[0] == header
        assert len(rows) == 1 + len(people)
        assert all(len(r) == 3 for r in rows)
        allowed = set(people.astype(str).to_numpy().ravel())
        assert {field for r in rows[1:] for field in r} <= allowed
        for token in ("0.3", "0.9", "4.0"):
            assert token not in data


def test_cohort_scope_by_role(engine, org):
    with session_scope(engine, write=False) as s:
        with pytest.raises(NotAllowed):
            cohort(s, current_user(s, "uno"), "P1")
        # a manager (not offered by the pages) only ever gets their own team
        assert _names(cohort(s, current_user(s, "jefa"), "P1")) == {"Nombre E1"}
        assert _names(cohort(s, current_user(s, "jefa"), "P2")) == {"Nombre E1", "Nombre E2"}
