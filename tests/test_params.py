"""scikit-learn's parameter protocol without importing scikit-learn (hedgekit._params)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sklearn.base import clone as sk_clone

from hedgekit._params import clone
from hedgekit.estimate import AveragedCovariance, FactorShrinkage, SampleCovariance, Winsorized


def test_get_set_params_and_clone_match_scikit_learn():
    est = FactorShrinkage(Winsorized(SampleCovariance(756), 4.0), n_factors=10, shrinkage=0.5)
    deep = est.get_params()
    assert deep["estimator__estimator__window"] == 756
    assert deep["estimator__threshold"] == 4.0 and deep["shrinkage"] == 0.5
    ours, theirs = clone(est), sk_clone(est)
    assert repr(ours) == repr(theirs) == repr(est)
    assert ours.estimator is not est.estimator and theirs.estimator is not est.estimator
    est.set_params(estimator__estimator__window=252, shrinkage=0.3)
    assert est.estimator.estimator.window == 252 and est.shrinkage == 0.3
    assert repr(ours).count("756") == 1  # the clone kept its own parameters
    with pytest.raises(ValueError, match="invalid parameter 'shrinkge'"):
        est.set_params(shrinkge=1.0)


def test_lists_of_estimators_clone_element_by_element():
    avg = AveragedCovariance([SampleCovariance(252), SampleCovariance(504)], weights=[1, 2])
    twin = sk_clone(avg)
    assert repr(twin) == repr(avg)
    assert all(a is not b for a, b in zip(twin.estimators, avg.estimators, strict=True))


def test_the_estimators_do_not_import_scikit_learn():
    code = "import sys, hedgekit.estimate; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
