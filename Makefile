# Two commands for the whole workshop: `make lab` (set up, then JupyterLab) and `make test`.
# Both create .venv/ from the pinned lock, requirements.txt, the first time (or when it changes).
# CI runs `make test`, then `make test-notebooks` and `make test-system` (.ci/run).

# The Python versions the lock installs on (pyproject.toml's requires-python): the first of these
# on PATH builds the venv, else `python3` if it is one of them. `make PYTHON=/path/to/python`
# chooses another; `make VENV=.venv-3.13 PYTHON=python3.13` builds a second venv beside .venv.
PYTHONS := python3.11 python3.12 python3.13
PYTHON_OK := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
ifndef PYTHON
# Each is run, not only looked up: a pyenv shim is on PATH even where its version is not active.
PYTHON := $(shell for p in $(PYTHONS) python3; do \
	$$p -c "$(PYTHON_OK)" >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8888
LAB_ARGS ?=
# The folder `make lab` serves (tests/test_browser.py serves a copy of the notebooks).
LAB_DIR ?= $(CURDIR)
# Worker processes (pytest-xdist). `make test` is CPU-bound on the 2-core course machine, but a
# worker waiting for its server, kernel or JVM to start leaves a core to another, so it and
# `make test-notebooks` run 4: back to back on 2026-12-07, `make test` took 5 min 43 s on 4 and
# 5 min 51 s on 3 (the tests and notebooks together once took 7 min 56 s on 4 and 11 min 36 s
# on 2). Each may hold a notebook kernel and a model server, ~1.5 GB at most. The unit tier
# starts no server: FAST_JOBS=2 took 52 s where 4 took 66 s. The system tests run two at a time
# (SYSTEM_JOBS).
JOBS ?= 4
FAST_JOBS ?= 2
SYSTEM_JOBS ?= 2
TORCH_INDEX := https://download.pytorch.org/whl/cpu
# PyTorch's CPU-only wheels when that index can be reached (so no multi-GB CUDA build is pulled);
# otherwise the indexes pip is configured with.
PIP_TORCH = $(shell $(PYTHON) -c "import urllib.request as u; u.urlopen('$(TORCH_INDEX)/torch/', timeout=5)" >/dev/null 2>&1 && echo --extra-index-url $(TORCH_INDEX))

export BENTOML_DO_NOT_TRACK := true

.PHONY: lab test test-notebooks test-fast test-system exercises lock python clean

# binder/overrides.json holds the course's JupyterLab setting defaults (Binder's postBuild installs
# the same file): no "get notified about official Jupyter news?" pop-up on a first launch.
lab: $(VENV)/.installed
	$(BIN)/jupyter lab --ServerApp.root_dir="$(LAB_DIR)" --port=$(PORT) \
		--LabApp.app_settings_dir="$(CURDIR)/binder" \
		--LabApp.default_url=/lab/tree/notebooks/00_setup.ipynb $(LAB_ARGS)

# The tests and the docstring examples, on JOBS worker processes (pytest-xdist): all but those
# that execute notebooks and the system tests, each a tier of its own below (CI runs all three).
# --dist loadfile keeps each file in one worker: a module's shared server or fitted models are
# made once.
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -m "not (system or notebook)" \
		--doctest-modules tests prodml_workshop

# What executes notebooks (marker `notebook`): every lecture and solution notebook run top to
# bottom in a fresh kernel, as a student runs it (nbval; a notebook asserts its own key facts;
# each in one worker), and the grader on the solutions (all pass), the exercises (all not
# attempted) and notebooks that go wrong in every way it must survive.
test-notebooks: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -m "notebook and not system" \
		--nbval-lax notebooks solutions tests

# The system tests, which need the machine more than Python (root, a memory cgroup, network
# namespaces, Chromium, PostgreSQL, nginx) and take minutes each: a student's Binder day in 2 GiB,
# two serving replicas on two network hosts with one PostgreSQL log. CI runs them after `make test`;
# on a laptop without those they skip, saying why.
test-system: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(SYSTEM_JOBS) --dist loadfile -m system tests

# The unit tier, the loop while you work (meant to stay under a minute): no test that starts a
# server, builds a venv or a Bento, executes notebooks or is marked slow (markers in
# pyproject.toml); the docstring examples included.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(FAST_JOBS) --dist loadfile \
		-m "not (slow or server or build or notebook)" --doctest-modules tests prodml_workshop

exercises: $(VENV)/.installed
	$(BIN)/python -m prodml_workshop.exercises build

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(MAKE) --no-print-directory python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt $(PIP_TORCH)
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps -e .
	touch $@

# Says which Python builds the venv, or stops if it is none of the accepted versions.
python:
	@"$(PYTHON)" -c "$(PYTHON_OK)" 2>/dev/null || { \
		echo "The workshop needs Python 3.11, 3.12 or 3.13: $(if $(PYTHON),'$(PYTHON)' is \
		missing or another version,none of $(PYTHONS) is on PATH, nor a python3 of those)."; \
		echo "Install one, or name it: make PYTHON=/path/to/python3.13 ..."; \
		exit 1; }
	@echo "Python for $(VENV): $(PYTHON) ($$("$(PYTHON)" --version 2>&1))"

# Re-make the lock from pyproject.toml in a fresh venv; binder/requirements.txt gets the same pins.
# torch is written without its '+cpu' label: 'torch==2.13.0' still prefers the CPU build where an
# index offers one (a local label sorts higher) and also matches macOS wheels, which have no label.
lock:
	@$(MAKE) --no-print-directory python VENV=.lock-venv
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --disable-pip-version-check ".[dev]" $(PIP_TORCH)
	( echo "# The workshop's pinned environment: made by 'make lock' from pyproject.toml; do not edit."; \
	  .lock-venv/bin/python -m pip freeze --exclude prodml-workshop \
	  | sed -E 's/^(torch==[^+]+)\+cpu$$/\1/' ) > requirements.txt
	( echo "# Binder's copy of ../requirements.txt (same pins, tested); torch from the CPU-only index."; \
	  echo "--extra-index-url $(TORCH_INDEX)"; grep -v '^#' requirements.txt ) > binder/requirements.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV)
