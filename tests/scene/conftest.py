"""Fixtures for the scene tests: a frame and a scene with a dusty galaxy, a star and a sky."""

from __future__ import annotations

import numpy as np
import pytest

from dustscene.scene import Component, Frame, FreeSpectrum, PointSourceMorphology, Scene, Sky
from dustscene.scene.synthetic import dusty_galaxy, make_frame


@pytest.fixture
def frame() -> Frame:
    return make_frame()


@pytest.fixture
def scene_with_star(frame) -> Scene:
    gal = dusty_galaxy(frame).components[0]
    star = Component(FreeSpectrum([5.0, 4, 3, 2, 1]), PointSourceMorphology([8.2, 24.7]))
    return Scene(frame, (gal, star), Sky(np.full(5, 0.01)))
