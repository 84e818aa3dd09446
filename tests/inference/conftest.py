"""Fixtures for the inference tests: the synthetic dusty galaxy and its noiseless observation."""

from __future__ import annotations

import pytest

from dustscene.scene.synthetic import dusty_galaxy, make_frame, noiseless_observation


@pytest.fixture(scope="module")
def truth_and_data():
    truth = dusty_galaxy(make_frame())
    return truth, noiseless_observation(truth)
