"""The score prior's training stamps come from the suite they are given (the workflow passes its
configured suite), not from a copy of the defaults."""

from __future__ import annotations

import numpy as np

from dustscene.mocks import default_suite
from dustscene.priors import training_stamps


def test_a_changed_suite_changes_the_stamps():
    kw = {"redshift_range": (0.35, 0.6), "n_nodes": 32}
    base = training_stamps(3, 16, seed=3, **kw)
    np.testing.assert_array_equal(base, training_stamps(3, 16, seed=3, suite=default_suite(), **kw))
    thick = default_suite()
    thick["stellar"]["z_s_over_h_s"] = [0.3, 0.4]  # puffier disks: other images
    other = training_stamps(3, 16, seed=3, suite=thick, **kw)
    assert not np.allclose(base, other)
