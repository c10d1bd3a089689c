"""Target selection of a backtest (``select_targets``): lists, the index, seeded samples."""

from __future__ import annotations

import pytest

from hedgekit import ConfigurationError, UnknownIdentifierError
from hedgekit.backtest import STUDY_SEED, select_targets


def test_the_index_and_seeded_samples(demo_market):
    end = demo_market.end
    everyone = select_targets(demo_market, "sp500", end)
    assert everyone == sorted(demo_market.as_of(end).members())
    a = select_targets(demo_market, "random:10", end)
    b = select_targets(demo_market, f"random:10:{STUDY_SEED}", end)
    assert a == b and len(a) == 10 and set(a) <= set(everyone)
    assert select_targets(demo_market, "random:10:7", end) != a


def test_a_list_is_resolved_in_order(demo_market):
    assert select_targets(demo_market, "kstd, ambY", demo_market.end) == ["KSTD", "AMBY"]


def test_a_sample_sees_only_members_on_its_date(demo_market):
    early = demo_market.calendar[300]
    members = set(demo_market.as_of(early).members())
    assert set(select_targets(demo_market, "random:5:1", early)) <= members


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("random:x", "write random:N or random:N:SEED"),
        ("random:", "write random:N"),
        ("random:1000", "N must be in 1.."),
        ("random:0", "N must be in 1.."),
        (" , ", "names no stock"),
    ],
)
def test_bad_specs_say_how_to_write_them(demo_market, spec, match):
    with pytest.raises(ConfigurationError, match=match):
        select_targets(demo_market, spec, demo_market.end)


def test_an_unknown_name_is_named(demo_market):
    with pytest.raises(UnknownIdentifierError, match="NOPE"):
        select_targets(demo_market, "KSTD,NOPE", demo_market.end)
