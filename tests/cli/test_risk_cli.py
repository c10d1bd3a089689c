"""``hedgekit risk build|show`` and ``hedgekit hedge --method factor`` on the demo market."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hedgekit import ConfigurationError, DataError, UnknownIdentifierError
from hedgekit.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A fresh demo store of its own: the tests write a cached model into it."""
    from hedgekit.data import Store, import_bundle
    from hedgekit.data._demo import demo_bundle_path

    store = Store(tmp_path_factory.mktemp("risk_home"))
    import_bundle(demo_bundle_path(), store)
    return str(store.home)


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_build_show_update_and_factor_hedge(home):
    res = _run("risk", "show", "KSTD", "--home", home)
    assert isinstance(res.exception, DataError)
    assert "hedgekit risk build" in str(res.exception)

    res = _run("risk", "build", "--end", "2023-06-30", "--home", home, "--json")
    assert res.exit_code == 0, res.output
    built = json.loads(res.stdout)
    assert built["action"] == "fitted"
    assert built["end"] == "2023-06-30"
    assert 0.0 < built["mean_r_squared"] < 1.0

    res = _run("risk", "build", "--home", home, "--json")  # extends to the data's end
    assert res.exit_code == 0, res.output
    grown = json.loads(res.stdout)
    assert grown["action"] == "updated"
    assert grown["end"] == "2023-12-29"
    assert grown["days"] > built["days"]

    res = _run("risk", "show", "KSTD", "--home", home)
    assert res.exit_code == 0, res.output
    assert "Exposures and share of variance" in res.stdout
    assert "specific" in res.stdout

    res = _run("risk", "show", "KSTD", "--date", "2022-06-30", "--home", home, "--json")
    assert res.exit_code == 0, res.output
    shown = json.loads(res.stdout)
    assert shown["date"] == "2022-06-30"
    assert shown["total_volatility"] ** 2 == pytest.approx(
        shown["factor_volatility"] ** 2 + shown["specific_volatility"] ** 2
    )
    assert sum(shown["share_of_variance"].values()) == pytest.approx(1.0)

    res = _run(
        "hedge", "KSTD=1000000", "--method", "factor", "--date", "2022-12-30", "--home", home
    )
    assert res.exit_code == 0, res.output
    assert "Predicted risk under the factor model" in res.stdout
    assert "Factor exposures" in res.stdout

    res = _run("risk", "show", "NOPE", "--home", home)
    assert isinstance(res.exception, UnknownIdentifierError)
    assert "NOPE" in str(res.exception)


def test_user_errors(home):
    """User mistakes raise HedgekitError subclasses: ``main`` prints them on one line."""
    res = _run("risk", "build", "--covariance", "garch", "--home", home, "--name", "x")
    assert isinstance(res.exception, ConfigurationError)
    assert "covariance_method='garch'" in str(res.exception)
    res = _run("risk", "build", "--name", "../up", "--home", home)
    assert isinstance(res.exception, ConfigurationError)
    assert "not a valid model name" in str(res.exception)
