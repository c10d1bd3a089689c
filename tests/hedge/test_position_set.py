"""PositionSet conveniences (issue 16): frames, dicts, pricing with a report, reweighting."""

from __future__ import annotations

import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import PositionSet

DATE = "2022-12-30"


def test_frame_and_dicts_round_trip():
    frame = pd.DataFrame({"identifier": ["KSTD", "FRLX"], "quantity": [1000, 500]})
    ps = PositionSet.from_frame(frame, DATE)
    assert [(p.identifier, p.quantity) for p in ps.positions] == [("KSTD", 1000), ("FRLX", 500)]
    back = ps.to_frame()
    assert list(back.index) == ["KSTD", "FRLX"] and list(back["quantity"]) == [1000, 500]
    again = PositionSet.from_frame(back, DATE)  # identifier as the index
    assert again.positions == ps.positions
    rows = [
        {"identifier": "KSTD", "weight": 0.6, "note": "x"},
        {"identifier": "FRLX", "weight": 0.4},
    ]
    by_weight = PositionSet.from_dicts(rows, DATE, reference_notional=1e6)
    assert [p.weight for p in by_weight.positions] == [0.6, 0.4]
    with pytest.raises(ConfigurationError, match="position 1 has no 'identifier'"):
        PositionSet.from_dicts([{"quantity": 1}], DATE)
    with pytest.raises(ConfigurationError, match="needs 'quantity' or 'weight'"):
        PositionSet.from_frame(pd.DataFrame({"identifier": ["KSTD"], "shares": [1]}), DATE)
    with pytest.raises(ConfigurationError, match="'lots' is not a number"):
        PositionSet.from_dicts([{"identifier": "KSTD", "quantity": "lots"}], DATE)


def test_equalise_and_redistribute():
    ps = PositionSet.from_dicts(
        [{"identifier": t, "weight": w} for t, w in (("A", 0.5), ("B", 0.3), ("C", 0.2))],
        DATE,
        reference_notional=1e6,
    )
    assert [p.weight for p in ps.equalise().positions] == pytest.approx([1 / 3] * 3)
    left = ps.redistribute("C")
    assert [p.identifier for p in left.positions] == ["A", "B"]
    assert [p.weight for p in left.positions] == pytest.approx([0.625, 0.375])
    with pytest.raises(ConfigurationError, match="D not in the position set"):
        ps.redistribute("D")


def test_price_reports_what_does_not_resolve_or_price(demo_market):
    ps = PositionSet.from_dicts(
        [{"identifier": "KSTD", "quantity": 1000}, {"identifier": "NOPE", "quantity": 5}], DATE
    )
    frame, report = ps.price(demo_market)
    assert report == {"unresolved": ["NOPE"], "unpriced": []}
    px = float(demo_market.as_of(DATE).last_prices(["KSTD"])["KSTD"])
    assert frame.loc["KSTD", "price"] == pytest.approx(px)
    assert frame.loc["KSTD", "notional"] == pytest.approx(1000 * px)
    assert frame["weight"].sum() == pytest.approx(1.0)
