"""The suite variant with young stellar arms: arms drawn on a stream of their own (the default
suite's scenes are unchanged), rendered on the spiral, bluer than the disk, written and read."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from dustscene.mocks import default_suite
from dustscene.mocks.geometry import arm_emissivity, arm_phase_offset, disk_emissivity
from dustscene.mocks.io import read_scene, write_scene
from dustscene.mocks.scene import make_scene
from dustscene.mocks.suite import draw_scene_params, validate_suite


def _with_arms(suite: dict) -> dict:
    s = copy.deepcopy(suite)
    s["stellar"]["arm_width_rad"] = 0.5
    s["sed"]["arm_mass_fraction"] = [0.05, 0.15]
    s["sed"]["arms"] = {"sfh_alpha": [0.3, 0.7, 2.0, 4.0], "f_burst": [0.05, 0.3],
                        "t_burst_gyr": [0.01, 0.3], "log_z": [-0.5, 0.0]}
    return s


def test_arms_leave_every_other_draw_unchanged(small_suite):
    """Adding arms changes no draw of the base suite except the disk mass they take."""
    base = draw_scene_params(small_suite, 5, seed=3)
    arms = draw_scene_params(_with_arms(small_suite), 5, seed=3)
    assert arms.inclination_deg == base.inclination_deg
    assert arms.psf_fwhm_arcsec == base.psf_fwhm_arcsec
    np.testing.assert_array_equal(arms.geometry.clump_xyz, base.geometry.clump_xyz)
    assert arms.geometry.tau_v0 == base.geometry.tau_v0
    assert base.geometry.arm_width == 0.0 and arms.geometry.arm_width == 0.5
    for comp in ("bulge", "clumps"):
        assert arms.sed[comp] == base.sed[comp]
    # the arms' mass comes out of the disk: disk + arms = the base disk
    total = 10 ** arms.sed["disk"]["log_mass"] + 10 ** arms.sed["arms"]["log_mass"]
    assert total == pytest.approx(10 ** base.sed["disk"]["log_mass"], rel=1e-12)
    assert "arms" not in base.sed


def test_arm_light_lies_on_the_spiral(small_suite):
    """The arm emissivity is the disk's times a bump peaked on the arm phase, zero mid-way."""
    g = draw_scene_params(_with_arms(small_suite), 0, seed=1).geometry
    r = np.linspace(0.5, 3.0, 200)[:, None] * g.h_s
    phi = np.linspace(0, 2 * np.pi, 400)[None, :]
    x, y, z = r * np.cos(phi), r * np.sin(phi), np.zeros_like(r * phi)
    ratio = arm_emissivity(x, y, z, g) / disk_emissivity(x, y, z, g)
    on_arm = np.cos(arm_phase_offset(x, y, g)) > 0.95
    between = np.cos(arm_phase_offset(x, y, g)) < -0.95
    assert ratio[on_arm].min() > 10 * ratio[between].max()
    # mean one around each ring: the arms redistribute the disk's light, they do not add to it
    np.testing.assert_allclose(ratio.mean(axis=1), 1.0, rtol=0.02)
    no_arms = draw_scene_params(small_suite, 0, seed=1).geometry
    assert np.all(arm_emissivity(x, y, z, no_arms) == 0.0)


def test_arms_rendered_written_and_read(small_suite, fixed_k, tmp_path):
    """An arms scene has an arms component, bluer than the disk, in the totals and the file."""
    scene = make_scene(_with_arms(small_suite), 0, seed=1, k_fn=fixed_k)
    comps = scene.components
    assert set(comps) == {"bulge", "disk", "clumps", "arms"}
    total = sum(c.dustfree for c in comps.values())
    np.testing.assert_allclose(total, scene.dustfree, rtol=1e-6)  # float32 components

    def g_minus_i(f: np.ndarray) -> float:
        return float(-2.5 * np.log10(f[0] / f[2]))

    assert g_minus_i(comps["arms"].sed_flux) < g_minus_i(comps["disk"].sed_flux) - 0.1
    path = tmp_path / "arms.h5"
    write_scene(path, scene)
    back = read_scene(path)
    np.testing.assert_allclose(back.components["arms"].dustfree, comps["arms"].dustfree,
                               rtol=1e-6)  # images are stored as float32
    assert back.geometry["arm_width"] == 0.5
    plain = make_scene(small_suite, 0, seed=1, k_fn=fixed_k)
    assert "arms" not in plain.components and "arm_width" not in plain.geometry


def test_partial_arms_config_is_refused():
    s = default_suite()
    s["stellar"]["arm_width_rad"] = 0.5
    with pytest.raises(ValueError, match="arm_width_rad, sed.arm_mass_fraction and sed.arms"):
        validate_suite(s)


def test_arms_suite_file_validates(repo_root):
    """simulations/nihao_like_arms.yaml passes the schema and differs from the default suite
    only by its arms (so the two suites' metrics compare like with like)."""
    from dustscene.config import load_yaml, validate

    arms = load_yaml(repo_root / "simulations" / "nihao_like_arms.yaml")
    base = load_yaml(repo_root / "simulations" / "nihao_like.yaml")
    validate(arms, load_yaml(repo_root / "workflow" / "schemas" / "suite.schema.yaml"), "arms")
    validate_suite(arms)
    for block in ("stellar", "sed"):
        extra = {k for k in arms[block] if k not in base[block]}
        assert extra == ({"arm_width_rad"} if block == "stellar"
                         else {"arm_mass_fraction", "arms"})
        assert all(arms[block][k] == base[block][k] for k in base[block])
    assert all(arms[k] == base[k] for k in base if k not in ("stellar", "sed", "name",
                                                              "description"))
