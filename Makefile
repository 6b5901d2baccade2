# Two commands do all the set-up on a fresh machine:
#   make demo   build the demo site and serve it on http://127.0.0.1:8000/
#   make test   run the whole test suite (installs chromium with apt-get when it is missing and we are root)
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN = $(VENV)/bin

.PHONY: demo test golden bench clean

$(BIN)/statusgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# setuptools warns on every editable install of a package whose data folders (themes/, docs/)
	# are mapped into it; the warning is about editable mode itself, not this project.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/statusgen
	$(BIN)/statusgen serve . --port $(PORT)

test: $(BIN)/statusgen
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	$(BIN)/pytest

golden: $(BIN)/statusgen
	STATUSGEN_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_golden.py

clean:
	rm -rf $(VENV) output .pytest_cache .hypothesis
