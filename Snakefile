# dustscene: mocks -> fits -> priors -> SED flows -> validation -> figures.
# Entry point: `snakemake` (= rule all). The config is validated before any rule runs.
import os

from snakemake.utils import min_version

min_version("9.0")

# figures are files: jobs draw with the non-interactive backend (the library never sets one)
os.environ.setdefault("MPLBACKEND", "Agg")


# The default config only when none is given: Snakemake would otherwise deep-merge it under a
# user's --configfile, leaking default keys (observations, sizes) into their run.
# It is found beside this Snakefile, also when the run happens elsewhere (--directory).
if not workflow.config_settings.configfiles:

    configfile: os.path.join(workflow.basedir, "config", "config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/sed.smk"
include: "workflow/rules/mocks.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/priors.smk"
include: "workflow/rules/sedflow.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/spectra.smk"
include: "workflow/rules/sweep.smk"


# The landing page of `snakemake --report`: workflow/report/workflow.rst, then this run's
# headline metrics against their targets and the seed sweep's, once they exist.
report: REPORT_LANDING


# Cheap rules run by the Snakemake process itself, never submitted to a cluster
# (profiles/slurm): the target rules.
localrules:
    all,
    mocks,
    fits,
    validation,
    sedflow,
    priors,
    paper_figures,
    spectra,


rule all:
    default_target: True
    input:
        rules.mocks.input,
        rules.fits.input,
        rules.priors.input,
        rules.sedflow.input,
        rules.validation.output,
        rules.paper_figures.input,
        rules.spectra.input,
