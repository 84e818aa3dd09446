"""Rule merge_spectra: concatenate the spectra shards into one training set."""

from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])

from dustscene.spectra.data import merge_spectra_shards  # noqa: E402

merge_spectra_shards(list(sm.input), sm.output[0])
