from __future__ import annotations

import json

import pandas as pd
import pytest

from core.ingest.mapping import SNAPSHOT, Mapping
from core.ingest.quality import quality_report, quality_warnings
from core.ingest.validate import validate


def known_frame() -> pd.DataFrame:
    """10 rows: one outlier in x, 40% missing in y, a 1-in-10 minority outcome."""
    return pd.DataFrame(
        {
            "employee_id": pd.array([f"E{i}" for i in range(10)], dtype="string"),
            "f_x": pd.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], dtype="Float64"),
            "f_y": pd.array([1.0, None, 3.0, None, 5.0, None, 7.0, None, 9.0, 10.0],
                            dtype="Float64"),
            "f_flag": pd.array([0, 1] * 5, dtype="Float64"),
            "outcome": pd.array(["0"] * 9 + ["1"], dtype="string"),
        },
        index=pd.RangeIndex(2, 12),
    )


def test_report_numbers():
    report = quality_report(known_frame(), SNAPSHOT, target="outcome")
    json.dumps(report)  # JSON-serialisable as it is
    assert report["rows"] == 10
    assert report["missing_share"]["f_y"] == pytest.approx(0.4)
    assert report["missing_share"]["f_x"] == 0.0
    x = report["outliers"]["f_x"]
    # q1 = 3.25, q3 = 7.75, IQR = 4.5 -> fences -3.5 and 14.5: only 100 is out
    assert (x["lower"], x["upper"]) == (pytest.approx(-3.5), pytest.approx(14.5))
    assert (x["count"], x["share"]) == (1, pytest.approx(0.1))
    assert "f_flag" not in report["outliers"]  # a 0/1 flag has no meaningful fences
    assert "outcome" not in report["outliers"]
    bal = report["class_balance"]
    assert bal["counts"] == {"0": 9, "1": 1}
    assert bal["shares"] == {"0": pytest.approx(0.9), "1": pytest.approx(0.1)}
    assert (bal["minority_class"], bal["minority_share"]) == ("1", pytest.approx(0.1))


def test_warnings_thresholds():
    report = quality_report(known_frame(), SNAPSHOT)
    issues = quality_warnings(report, "s.csv", names={"f_y": "Horas extra"})
    got = {(i.code, i.column) for i in issues}
    # 40% empty > 30% (named as in the user's file); 10% outliers > 5%; a 10% minority is
    # not below 10%
    assert got == {("many_missing", "Horas extra"), ("many_outliers", "f_x")}
    assert all(i.severity == "warning" and i.file == "s.csv" for i in issues)
    assert all(i.row is None and i.message_es and i.message_en for i in issues)
    balanced = quality_report(known_frame().assign(
        outcome=pd.array(["0", "1"] * 5, dtype="string")), SNAPSHOT)
    assert not any(i.code == "class_imbalance" for i in quality_warnings(balanced, "s.csv"))


def test_minority_below_ten_percent():
    frame = pd.DataFrame({"employee_id": pd.array([str(i) for i in range(20)], dtype="string"),
                          "outcome": pd.array(["0"] * 19 + ["1"], dtype="string")})
    report = quality_report(frame, SNAPSHOT)
    assert report["class_balance"]["minority_share"] == pytest.approx(0.05)
    (issue,) = [i for i in quality_warnings(report, "s.csv") if i.code == "class_imbalance"]
    assert "5%" in issue.message_es and "«1»" in issue.message_es


def test_performance_rating_balance():
    frame = pd.DataFrame({
        "employee_id": pd.array(["a", "b", "c", "d", "e"], dtype="string"),
        "period": pd.array(["2024-Q1"] * 5, dtype="string"),
        "performance_rating": pd.array([1, 2, 3, 3, None], dtype="Float64"),
        "kpi_x": pd.array([1.0, None, None, None, 2.0], dtype="Float64"),
    })
    report = quality_report(frame, "performance")
    bal = report["class_balance"]
    assert bal["counts"] == {"1": 1, "2": 1, "3": 2}
    assert bal["low_share"] == pytest.approx(0.5)
    assert report["missing_share"]["kpi_x"] == pytest.approx(0.6)
    assert quality_report(frame, "employees")["class_balance"] is None


def test_user_names_flow_from_validate():
    raw = pd.DataFrame({"DNI": ["1", "2", "3"], "Trimestre": ["2024-Q1"] * 3,
                        "Ventas": ["1", pd.NA, pd.NA]}, dtype=object, index=[2, 3, 4])
    v = validate(raw, Mapping("performance", {"DNI": "employee_id", "Trimestre": "period",
                                              "Ventas": "kpi_ventas"}, {}), "p.csv")
    report = quality_report(v.frame, v.kind)
    json.dumps(report)
    (issue,) = quality_warnings(report, "p.csv")
    assert (issue.code, issue.column) == ("many_missing", "Ventas")
