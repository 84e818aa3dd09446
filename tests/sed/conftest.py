"""Shared SED fixtures: one SSP table per session, HSC filters, a parameter factory."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import pytest

from dustscene.sed import FilterSet, SEDParams, SSPTable, build_ssp_table, load_filters
from dustscene.sed.ssp import load_ssp_table


@pytest.fixture(scope="session")
def ssp_table_path(tmp_path_factory: pytest.TempPathFactory):
    return build_ssp_table(tmp_path_factory.mktemp("ssp") / "ssp.h5")


@pytest.fixture(scope="session")
def table(ssp_table_path) -> SSPTable:
    return load_ssp_table(ssp_table_path)


@pytest.fixture(scope="session")
def hsc() -> FilterSet:
    return load_filters("hsc", ["g", "r", "i", "z", "y"])


DEFAULTS = {
    "log_mass": 10.0,
    "f_burst": 0.0,
    "t_burst": 1.0,
    "log_z": 0.0,
    "tau_bc": 0.0,
    "tau_ism": 0.0,
    "n_dust": 0.0,
    "redshift": 0.05,
}


def make_params(n: int = 1, sfh=(0.25, 0.25, 0.25, 0.25), **kw) -> SEDParams:
    """n identical galaxies (scalars broadcast; arrays of length n are used as given)."""
    vals = {k: jnp.broadcast_to(jnp.asarray(kw.get(k, v), dtype=float), (n,))
            for k, v in DEFAULTS.items()}
    w = jnp.broadcast_to(jnp.asarray(sfh, dtype=float), (n, 4))
    return SEDParams(sfh_weights=w, **vals)


@pytest.fixture
def params() -> Callable[..., SEDParams]:
    return make_params
