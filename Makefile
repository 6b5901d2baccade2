# Two commands do all the set-up on a fresh machine:
#   make demo   build the demo site and serve it on http://127.0.0.1:8000/
#   make test   check the import contracts (lint-imports), then run the whole test suite (installs chromium, node and java with apt-get when they are missing
#               and we are root, then the test tools of package-lock.json with npm ci)
#   make screenshots   the demo at 360, 768 and 1440 px, light and dark, into docs/screenshots/
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN = $(VENV)/bin

.PHONY: demo test golden screenshots bench clean

$(BIN)/statusgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# setuptools warns on every editable install of a package whose data folders (themes/, docs/)
	# are mapped into it; the warning is about editable mode itself, not this project.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/statusgen
	$(BIN)/statusgen serve . --port $(PORT)

# axe-core, the Nu Html Checker (vnu-jar) and Lighthouse, pinned in package-lock.json; npm ci again when it changes.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

test: $(BIN)/statusgen node_modules/.package-lock.json
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v java >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

golden: $(BIN)/statusgen
	STATUSGEN_UPDATE_GOLDEN=1 $(BIN)/pytest -q -rs tests/test_golden.py

screenshots: $(BIN)/statusgen
	$(BIN)/python tools/screenshots.py --out docs/screenshots

clean:
	rm -rf $(VENV) output .pytest_cache .hypothesis node_modules
