# Config validation (before any rule runs) and the small helpers every rule shares.
import json
from pathlib import Path

from snakemake.exceptions import WorkflowError

from dustscene.config import ConfigError, config_sha256, load_workflow_config
from dustscene.fitconfig import DEFAULTS as FIT_DEFAULTS
from dustscene.fitconfig import with_suite_population

WORKFLOW_DIR = Path(workflow.basedir)

try:
    WF = load_workflow_config(config, WORKFLOW_DIR, source="config")
except ConfigError as exc:
    raise WorkflowError(f"dustscene: {exc}") from None

config = WF.config  # defaults filled in by the schema
SEED = config["seed"]
SUITE = WF.suite
MOCK_SCENES = [f"mock_{i:04d}" for i in range(config["mocks"]["n_scenes"])]
OBS = {name: str(path) for name, path in WF.observations.items()}
# What a mock depends on (no machine-specific paths, so files are byte-identical across clones).
MOCK_CONFIG_JSON = json.dumps({"seed": SEED, "mocks": {"suite": SUITE}}, sort_keys=True)
CONFIG_SHA = config_sha256(config)


wildcard_constraints:
    scene=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    mock=r"mock_\d{4}",


def mock_index(wildcards):
    """Scene index of a mock wildcard `mock_0007` -> 7."""
    return int(wildcards.mock.split("_")[1])


def fit_input(wildcards):
    """A real observation by name, else the mock scene of that name."""
    if wildcards.scene in OBS:
        return OBS[wildcards.scene]
    return f"results/mocks/{wildcards.scene}.h5"


SPECTRUM_PRIOR_MODEL = "results/spectra/spectrum_prior.eqx"
SSP_TABLE = "results/sed/ssp_table.h5"


def fit_settings(wildcards):
    """Fit settings of a scene: fit.mocks, or fit.observations under the entry's own `fit`;
    `spectrum: latent` fits get the workflow's trained spectrum prior, `spectrum: sed` fits its
    SSP table."""
    if wildcards.scene in OBS:
        own = next(o for o in config["observations"] if o["name"] == wildcards.scene)
        cfg = {**config["fit"]["observations"], **own.get("fit", {})}
    else:
        cfg = dict(config["fit"]["mocks"])
    if cfg.get("spectrum") == "latent":
        cfg["spectrum_prior"] = SPECTRUM_PRIOR_MODEL
    if cfg.get("spectrum") == "sed":
        cfg["ssp_table"] = SSP_TABLE
    return with_suite_population(cfg, SUITE)  # the merged mock suite


def fit_spectrum_prior(wildcards):
    """The files a scene's spectra need: the spectrum prior (`spectrum: latent`) or the SSP
    table and a population suite file (`spectrum: sed`), else none."""
    cfg = fit_settings(wildcards)
    spectrum = cfg.get("spectrum")
    if spectrum == "latent":
        return [SPECTRUM_PRIOR_MODEL, SPECTRUM_PRIOR_MODEL.replace(".eqx", ".json")]
    if spectrum == "sed":
        pop = cfg.get("population")
        return [SSP_TABLE] + ([pop] if isinstance(pop, str) else [])
    return []


def hallucination_settings(wildcards):
    """The `hallucination` block with its fit overrides; a real observation keeps the pixels,
    sources and sky of its own fit (`mask_bits`, `detect_extra`, `sky`), under the block's
    overrides (without its sky level the HSC cutout's score-prior fit ends at chi2/dof 2.86,
    with it 1.62)."""
    block = dict(config["hallucination"])
    if wildcards.scene in OBS:
        own = {**FIT_DEFAULTS, **fit_settings(wildcards)}
        data = {k: own[k] for k in ("mask_bits", "detect_extra", "sky")}
        block["fit"] = {**data, **block["fit"]}
    return block
