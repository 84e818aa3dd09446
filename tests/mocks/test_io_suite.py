"""Scene files and suite draws: contract layout, byte reproducibility, errors, seeding."""

from __future__ import annotations

import copy

import h5py
import numpy as np
import pytest

from dustscene.io.mockfile import MockFileError, read_mock
from dustscene.mocks import default_suite, draw_scene_params, make_scene, read_scene, write_scene
from dustscene.mocks.suite import validate_suite

CONTRACT = [
    "observed/images",
    "observed/variance",
    "observed/psf",
    "truth/attenuated",
    "truth/dustfree",
    "truth/ebv_effective",
    "truth/ebv_column",
    "truth/tau_v_column",
    "truth/a_eff",
]
ROOT_ATTRS = [
    "bands",
    "pixel_scale_arcsec",
    "zeropoint",
    "attenuation_law",
    "inclination_deg",
    "seed",
    "config",
    "dustscene_version",
    "scene_index",
    "galaxy_index",
]


def test_contract_layout_and_round_trip(small_suite, fixed_k, tmp_path) -> None:
    scene = make_scene(small_suite, 1, seed=2, k_fn=fixed_k, config_json='{"a": 1}')
    path = tmp_path / "s.h5"
    write_scene(path, scene)
    with h5py.File(path, "r") as f:
        for ds in CONTRACT:
            assert ds in f, ds
        for ds in ("observed/images", "observed/variance", "observed/psf"):
            assert f[ds].dtype == np.float32
        assert f["observed/images"].shape == (5, 32, 32)
        assert f["truth/ebv_column"].shape == (32, 32)
        assert np.allclose(f["observed/psf"][()].sum((1, 2)), 1.0, atol=1e-6)
        for c in ("bulge", "disk", "clumps"):
            g = f[f"truth/components/{c}"]
            assert g["dustfree"].shape == (5, 32, 32) and g["sed_flux"].shape == (5,)
            assert "log_mass" in g.attrs and g.attrs["sfh_weights"].shape == (4,)
        for a in ROOT_ATTRS:
            assert a in f.attrs, a
        assert f.attrs["config"] == '{"a": 1}'
    back = read_scene(path)
    assert back.attrs["bands"] == ["g", "r", "i", "z", "y"]
    assert np.allclose(back.attenuated, scene.attenuated, rtol=1e-6)
    comp_sum = sum(c.dustfree for c in back.components.values())
    assert np.allclose(comp_sum, back.dustfree, rtol=1e-5, atol=1e-6)


def test_same_seed_same_bytes_different_seed_differs(small_suite, fixed_k, tmp_path) -> None:
    paths = []
    for i, seed in enumerate((4, 4, 5)):
        p = tmp_path / f"s{i}.h5"
        write_scene(p, make_scene(small_suite, 2, seed=seed, k_fn=fixed_k))
        paths.append(p)
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b
    assert a != c


def test_read_errors_name_the_file(tmp_path) -> None:
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        read_scene(missing)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match="junk.h5"):
        read_scene(junk)
    partial = tmp_path / "partial.h5"
    with h5py.File(partial, "w") as f:
        f.create_dataset("observed/images", data=np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"partial\.h5.*truth/attenuated"):
        read_scene(partial)


def test_no_dust_scene_is_exact(small_suite, fixed_k) -> None:
    s = copy.deepcopy(small_suite)
    s["dust"]["tau_v0_range"] = [0.0, 0.0]
    s["dust"]["tau_bc_range"] = [0.0, 0.0]
    scene = make_scene(s, 0, seed=1, k_fn=fixed_k)
    assert np.array_equal(scene.attenuated, scene.dustfree)
    assert np.all(scene.a_eff == 0.0) and np.all(scene.ebv_column == 0.0)


def test_galaxy_shared_across_inclinations(small_suite) -> None:
    suite = validate_suite(small_suite)
    ps = [draw_scene_params(suite, i, seed=9) for i in range(4)]
    assert all(p.galaxy_index == 0 for p in ps)
    assert all(p.geometry.h_s == ps[0].geometry.h_s for p in ps)
    assert np.array_equal(ps[0].geometry.clump_xyz, ps[3].geometry.clump_xyz)
    incs = [p.inclination_deg for p in ps]
    assert np.all(np.diff(incs) > 0) and 0.0 <= incs[0] and incs[-1] <= 88.0
    other = draw_scene_params(suite, 4, seed=9)
    assert other.galaxy_index == 1 and other.geometry.h_s != ps[0].geometry.h_s
    assert draw_scene_params(suite, 0, seed=10).geometry.h_s != ps[0].geometry.h_s


def test_cos_i_uniform_over_many_galaxies() -> None:
    suite = default_suite()
    cos_i = np.cos(np.radians([draw_scene_params(suite, i, 0).inclination_deg for i in range(200)]))
    lo = np.cos(np.radians(88.0))
    hist, _ = np.histogram(cos_i, bins=5, range=(lo, 1.0))
    assert np.all(hist == 40)  # stratified: exactly one per stratum per galaxy


def test_validate_suite_names_bad_keys() -> None:
    bad = default_suite()
    del bad["dust"]["tau_v0_range"]
    with pytest.raises(ValueError, match="tau_v0_range"):
        validate_suite(bad)
    bad = default_suite()
    bad["observing"]["sky_sigma"] = [0.1]
    with pytest.raises(ValueError, match="sky_sigma"):
        validate_suite(bad)
    bad = default_suite()
    bad["inclination_deg_range"] = [0.0, 95.0]
    with pytest.raises(ValueError, match="inclination"):
        validate_suite(bad)


def test_dustfree_intrinsic_is_the_pre_psf_dustfree_truth(small_suite, fixed_k, tmp_path) -> None:
    from dustscene.mocks.psf import convolve_same

    scene = make_scene(small_suite, 1, seed=2, k_fn=fixed_k)
    path = tmp_path / "s.h5"
    write_scene(path, scene)
    with h5py.File(path, "r") as f:
        assert f["truth/dustfree_intrinsic"].shape == (5, 32, 32)
        assert f["truth/dustfree_intrinsic"].dtype == np.float32
    back = read_scene(path)
    smoothed = convolve_same(back.dustfree_intrinsic, back.psf)
    h = back.psf.shape[-1] // 2  # away from the stamp edge, where the padding contributes
    inner = (slice(None), slice(h, -h), slice(h, -h))
    assert np.allclose(smoothed[inner], back.dustfree[inner], rtol=1e-4, atol=1e-3)
    assert not np.allclose(back.dustfree_intrinsic[inner], back.dustfree[inner], rtol=1e-2)
    with h5py.File(path, "a") as f:  # a file written before the dataset existed
        del f["truth/dustfree_intrinsic"]
    assert read_scene(path).dustfree_intrinsic is None


def test_default_suite_is_the_yaml_file(repo_root) -> None:
    """The package's default suite is simulations/nihao_like.yaml itself, not a copy of it."""
    from dustscene.config import load_yaml

    assert default_suite() == load_yaml(repo_root / "simulations" / "nihao_like.yaml")
    a = default_suite()
    a["sed"]["log_mass"][0] = 0.0
    assert default_suite()["sed"]["log_mass"][0] == 9.8  # every call gets a fresh copy


def test_missing_repository_file_says_where(tmp_path) -> None:
    from dustscene.config import ConfigError, repo_file

    with pytest.raises(ConfigError, match=r"nihao_like\.yaml: not found.*pip install -e"):
        repo_file(tmp_path / "simulations" / "nihao_like.yaml")


def test_validate_suite_names_source_and_key() -> None:
    bad = default_suite()
    bad["stellar"]["h_s_kpc"] = [4.0, 2.0]
    with pytest.raises(ValueError, match=r"my.yaml: config key 'stellar.h_s_kpc': range"):
        validate_suite(bad, "my.yaml")
    bad = default_suite()
    bad["bands"] = ["g", "u", "i", "z", "y"]
    with pytest.raises(ValueError, match=r"config key 'bands': unknown band 'u' for survey"):
        validate_suite(bad)


def test_read_mock_reads_only_what_is_asked(small_suite, fixed_k, tmp_path) -> None:
    """read_mock: attributes alone without any image, selected datasets as stored, component
    groups with their attrs, and errors that name the file and the missing part."""
    scene = make_scene(small_suite, 1, seed=2, k_fn=fixed_k)
    path = tmp_path / "s.h5"
    write_scene(path, scene)
    attrs_only = read_mock(path, attrs=("inclination_deg",))
    assert attrs_only.arrays == {} and attrs_only.components == {}
    assert attrs_only.attrs["inclination_deg"] == pytest.approx(scene.attrs["inclination_deg"])
    assert attrs_only.bands == ("g", "r", "i", "z", "y")
    parts = read_mock(path, ["truth/dustfree"], optional=["truth/nope"], components=("sed_flux",))
    assert set(parts.arrays) == {"truth/dustfree"}
    assert parts.arrays["truth/dustfree"].dtype == np.float32
    np.testing.assert_allclose(parts.array("truth/dustfree"), scene.dustfree, rtol=1e-6)
    assert set(parts.components) == set(scene.components)
    bulge = parts.components["bulge"]
    assert set(bulge.arrays) == {"sed_flux"} and "log_mass" in bulge.attrs
    with pytest.raises(MockFileError, match=r"s\.h5 lacks \['truth/nope', 'attr nope'\]"):
        read_mock(path, ["truth/nope"], attrs=("nope",))
    with pytest.raises(MockFileError, match=r"s\.h5 lacks \['nope'\] in truth/components/"):
        read_mock(path, components=("nope",))
    with pytest.raises(MockFileError, match="absent.h5"):
        read_mock(tmp_path / "absent.h5")
