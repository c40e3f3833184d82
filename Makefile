# `make run` and `make test` each create .venv when missing and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test lint format install clean-venv bench messages osrm

# uv installs the same packages as pip in a quarter of the time (12 s against 44 s for a fresh venv here).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# OSRM's own binaries (osrm-extract, -partition, -customize, -routed and the car/foot profiles) from the
# osrm-bindings wheel on PyPI: the drive-time tests start a real engine with them. The wheel is built for
# CPython 3.12 (abi3), but the executables need no Python. Without them, those tests skip with a reason.
OSRM_VERSION := 26.10.0
OSRM := .cache/osrm/osrm/bin/osrm-routed

$(OSRM): | $(STAMP)
	mkdir -p .cache/osrm/wheel
	{ $(BIN)/python -m pip download --quiet --only-binary=:all: --python-version 3.12 --no-deps \
		osrm-bindings==$(OSRM_VERSION) -d .cache/osrm/wheel \
	  && $(BIN)/python -m zipfile -e .cache/osrm/wheel/osrm_bindings-$(OSRM_VERSION)-*.whl .cache/osrm \
	  && chmod +x .cache/osrm/osrm/bin/*; } || echo "OSRM's binaries could not be fetched: the drive-time tests will skip"

osrm: $(OSRM)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# Lint and format check first: a lint error fails `make test` (and CI) before any test runs.
# Three workers on two cores (the browser tests mostly wait on Chromium and Streamlit), each module on one
# worker (--dist loadscope: a module's app server, database or national build is made once, not once a
# worker): 10m55s with 2 workers spread test by test, 10m13s so (the whole suite, this machine).
test: lint osrm
	$(BIN)/python -m pytest -n 3 --dist loadscope -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Bring every language's catalog (directory/locale/*/LC_MESSAGES/messages.po) up to the code: new strings
# are added untranslated (the tests then say which), removed ones dropped. See docs/languages.md.
messages: $(STAMP)
	$(BIN)/python -c "from directory.core.i18n import main; main()"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
