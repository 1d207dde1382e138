import io

import pandas as pd

from core.export import csv_bytes


def test_formula_cells_are_neutralised_and_numbers_kept():
    frame = pd.DataFrame({"=col": ["=HYPERLINK(\"x\")", "+51 999", "-3.5", "@SUM(A1)", "Ñandú"],
                          "n": [1, 2, 3, 4, 5]})
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), encoding="utf-8-sig", dtype=str)
    assert list(back.columns) == ["'=col", "n"]
    assert back["'=col"].tolist() == ["'=HYPERLINK(\"x\")", "'+51 999", "-3.5", "'@SUM(A1)",
                                      "Ñandú"]
