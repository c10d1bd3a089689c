# hedgekit: two commands on a fresh clone.
#   make demo   install hedgekit in .venv and run the main job on the embedded demo market
#   make test   install hedgekit with its dev tools in .venv, lint, type-check and run the tests
#   make bench  the same install plus the benchmarks' references (the bench extra: duckdb...)
PYTHON ?= python3
VENV ?= .venv
# the CPU build of PyTorch for the nlp extra, installed first so that pip does not fetch a CUDA
# build (on these machines `pip install torch==2.13.0` takes a local file; elsewhere it
# downloads the CPU wheel from PyPI's index for your platform)
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,yahoo]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/hedgekit demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts notebooks
	$(BIN)/ruff format --check src tests benchmarks scripts notebooks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e '.[dev,yahoo,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_data.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
