# Two entry points: `make run` (the web app: installs the package with its [app] extra only, no torch) and
# `make test` (everything: training, cluster and development extras, then the test suite and the wheel check);
# `make example` runs the toolpath optimiser on the bundled drawing.
# Both create .venv on first use; only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
ALL_STAMP := $(VENV)/.installed

.PHONY: run example test lint setup wheel-check clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[app]"
	touch $(APP_STAMP)

$(ALL_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[app,train,cluster,dev]"
	touch $(ALL_STAMP) $(APP_STAMP)

setup: $(ALL_STAMP)

run: $(APP_STAMP)
	$(BIN)/batik app $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

# The drawing-order optimiser on the bundled Megamendung tile: G-code, JSON report and route plot in artifacts/.
example: $(APP_STAMP)
	mkdir -p artifacts
	$(BIN)/batik toolpath optimize src/batik_studio/toolpath/examples/megamendung_tile.svg \
		-o artifacts/megamendung_tile.gcode --report artifacts/megamendung_tile.json --plot artifacts/megamendung_tile.png

test: $(ALL_STAMP)
	bash scripts/test-setup.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest
	$(MAKE) wheel-check

# The wheel on its own: built, installed into a fresh venv without torch and away from the checkout, then used.
wheel-check: $(ALL_STAMP)
	PYTHON=$(BIN)/python bash scripts/check-wheel.sh

lint: $(ALL_STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
