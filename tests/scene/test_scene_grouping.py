"""Scene rendering groups components of one structure into a vmapped call: same cube."""

from __future__ import annotations

import numpy as np

from dustscene.scene import Component, FreeSpectrum, PointSourceMorphology, Scene, SersicMorphology
from dustscene.scene.synthetic import make_frame


def test_grouped_render_equals_sum_of_components():
    frame = make_frame()
    comps = (
        Component(FreeSpectrum([1.0, 2, 3, 4, 5]), SersicMorphology((10.2, 12.7), n=1.0, r_e=3)),
        Component(FreeSpectrum([2.0, 1, 1, 1, 2]), PointSourceMorphology((20.4, 8.1))),
        Component(
            FreeSpectrum([5.0, 4, 3, 2, 1]),
            SersicMorphology((18.6, 20.1), n=2.5, r_e=2, q=0.5, theta=1.0),
        ),
    )
    cube = np.asarray(Scene(frame, comps)())
    expected = sum(np.asarray(c(frame)) for c in comps)
    np.testing.assert_allclose(cube, expected, rtol=1e-12, atol=1e-14)
    # the two Sersic galaxies differ: a grouped render must not mix their parameters up
    assert not np.allclose(np.asarray(comps[0](frame)), np.asarray(comps[2](frame)))


def test_components_with_non_array_leaves_render_alone() -> None:
    """A spectrum holding a function leaf cannot be stacked: it renders on its own."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from dustscene.scene import Component, Frame, PointSourceMorphology, Scene

    class FnSpectrum(eqx.Module):
        fluxes: jax.Array
        fn: object  # a plain function as a PyTree leaf

        def __call__(self):
            return self.fn(self.fluxes)

    frame = Frame(tuple("gri"), (16, 16), psf_sigma=0.8)
    comps = tuple(
        Component(FnSpectrum(jnp.full(3, f), jnp.abs), PointSourceMorphology((8.0, 7.0 + k)))
        for k, f in enumerate((1.0, 2.0))
    )
    cube = Scene(frame, comps)()
    expect = sum(c(frame) for c in comps)
    assert float(jnp.max(jnp.abs(cube - expect))) < 1e-12
