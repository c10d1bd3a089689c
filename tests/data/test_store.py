"""The store commits all or nothing, versions snapshots and reads absent tables as empty."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hedgekit import MalformedDataError, StoreNotFoundError
from hedgekit.data import TABLES, Store
from hedgekit.data._validate import coerce_table


def _restricted(tickers: list[str]) -> pd.DataFrame:
    return coerce_table(pd.DataFrame({"ticker": tickers}), TABLES["restricted"], "test")


def test_empty_store_says_how_to_fill_it(tmp_path):
    store = Store(tmp_path / "nothing")
    assert not store.exists()
    with pytest.raises(StoreNotFoundError, match=r"hedgekit data import DIR"):
        store.read("prices")


def test_commit_publishes_and_failure_leaves_store_untouched(tmp_path):
    store = Store(tmp_path)
    with store.transaction(source="first") as tx:
        tx.write("restricted", _restricted(["AAA", "BBB"]))
    v1 = store.version
    before = store.read("restricted")
    with pytest.raises(RuntimeError, match="boom"), store.transaction(source="second") as tx:
        tx.write("restricted", _restricted(["CCC"]))
        tx.write(
            "scores",
            coerce_table(
                pd.DataFrame(
                    {"ticker": ["AAA"], "date": ["2020-01-01"], "score": ["esg"], "value": [1]}
                ),
                TABLES["scores"],
                "test",
            ),
        )
        raise RuntimeError("boom")
    assert store.version == v1
    pd.testing.assert_frame_equal(store.read("restricted"), before)
    assert store.read("scores").empty
    assert not [p for p in (tmp_path / "snapshots").iterdir() if p.name.startswith(".staging")]


def test_a_killed_imports_staging_folder_is_removed_by_the_next(tmp_path):
    store = Store(tmp_path)
    with store.transaction(source="first") as tx:
        tx.write("restricted", _restricted(["AAA"]))
    orphan = tmp_path / "snapshots" / ".staging-20200101T000000-dead"
    orphan.mkdir()
    (orphan / "prices.parquet").write_bytes(b"half written")
    with store.transaction(source="second") as tx:
        tx.write("restricted", _restricted(["BBB"]))
    assert not orphan.exists()
    assert list(store.read("restricted")["ticker"]) == ["BBB"]


def test_unchanged_tables_carry_over_and_manifest_tracks_history(tmp_path):
    store = Store(tmp_path)
    with store.transaction(source="a", metadata={"synthetic": True}) as tx:
        tx.write("restricted", _restricted(["AAA"]))
    with store.transaction(source="b") as tx:
        tx.write(
            "hard_to_borrow",
            coerce_table(
                pd.DataFrame({"ticker": ["ZZZ"], "borrow_cost_bps": [250]}),
                TABLES["hard_to_borrow"],
                "test",
            ),
        )
    assert list(store.read("restricted")["ticker"]) == ["AAA"]
    man = store.manifest()
    assert man["rows"] == {"hard_to_borrow": 1, "restricted": 1}
    assert [h["source"] for h in man["history"]] == ["a", "b"]
    assert man["synthetic"] is True
    json.dumps(man)


def test_transaction_delete_and_read_through(tmp_path):
    store = Store(tmp_path)
    with store.transaction(source="a") as tx:
        tx.write("restricted", _restricted(["AAA"]))
    with store.transaction(source="b") as tx:
        assert list(tx.read("restricted")["ticker"]) == ["AAA"]
        tx.delete("restricted")
        assert tx.read("restricted").empty
    assert not store.has("restricted")
    assert store.read("restricted").empty


def test_old_snapshots_are_garbage_collected(tmp_path):
    store = Store(tmp_path)
    for i in range(5):
        with store.transaction(source=str(i)) as tx:
            tx.write("restricted", _restricted([f"T{i}"]))
    snaps = [p for p in (tmp_path / "snapshots").iterdir() if p.is_dir()]
    assert len(snaps) <= 2
    assert list(store.read("restricted")["ticker"]) == ["T4"]


def test_write_rejects_unknown_columns(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(Exception, match="no column"), store.transaction(source="x") as tx:
        tx.write("restricted", pd.DataFrame({"ticker": ["A"], "bogus": [1]}))
    assert not store.exists()


def test_validation_errors_do_not_write(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(MalformedDataError), store.transaction(source="x") as tx:
        tx.write("restricted", _restricted([""]))
    assert not store.exists()
