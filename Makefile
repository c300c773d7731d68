# Two entry points: `make run` (the web app) and `make test` (the whole test suite); `make example` runs the
# toolpath optimiser on the bundled drawing.
# Both create .venv on first use; only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run example test lint setup clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[train,dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/batik app $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

# The drawing-order optimiser on the bundled Megamendung tile: G-code, JSON report and route plot in artifacts/.
example: $(STAMP)
	mkdir -p artifacts
	$(BIN)/batik toolpath optimize src/batik_studio/toolpath/examples/megamendung_tile.svg \
		-o artifacts/megamendung_tile.gcode --report artifacts/megamendung_tile.json --plot artifacts/megamendung_tile.png

test: $(STAMP)
	bash scripts/test-setup.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info
