# The two commands of the README: `make demo` (saliency demo into runs/demo; `make demo
# DEMO_ARGS=--quick` for a first look) and `make test`.
#
# The virtual environment sees the system's site-packages, so a torch that is
# already installed (a CUDA build on a GPU machine) is reused instead of
# downloading another multi-GB wheel. `make VENV_FLAGS= test` isolates it.
PYTHON ?= python3
VENV ?= .venv
VENV_FLAGS ?= --system-site-packages
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=
# The suite runs in two processes (pytest-xdist), each test file in one of them (module fixtures such as
# the demo's are built once); `make test TEST_WORKERS=0` runs it in this process alone.
TEST_WORKERS ?= 2
DEMO_ARGS ?=

.PHONY: demo test install clean

$(PY):
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)

$(VENV)/.installed: $(PY) setup.cfg pyproject.toml
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/saliency demo --out runs/demo $(DEMO_ARGS)

test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info runs
