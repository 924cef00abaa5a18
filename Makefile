# Two commands: `make demo` (whole workflow offline on the embedded default) and `make test` (pytest).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Install torch first and by exact version: on this machine's disk it is the CPU wheel; letting another
# package pull torch brings a multi-GB CUDA build. GPU clusters set TORCH to their own build.
TORCH  ?= torch==2.13.0
CORES  ?= 2
PYTEST_ARGS ?=
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test lint clean

$(BIN)/deepmotif: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev,slurm]"
	touch $@

install: $(BIN)/deepmotif

demo: install
	$(BIN)/snakemake --profile profiles/default --cores $(CORES)
	@echo "Tables: results/tables/auroc.tsv results/tables/motif_matches.tsv; report: results/report/index.html"

test: install
	@# headless Chromium for the report test (tests/test_workflow.py skips it where this cannot install it)
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium; } >/dev/null 2>&1 || echo "note: chromium could not be installed; its report test is skipped"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check workflow

clean:
	rm -rf results logs .snakemake
