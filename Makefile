# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= var
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install corpus bench clean

$(BIN)/policy-search: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/policy-search

run: install
	@if [ -z "$$($(BIN)/policy-search --data-dir $(DATA_DIR) stats --json 2>/dev/null | grep '"policies": [1-9]')" ]; then \
		echo "Index is empty: ingesting corpus/ ..."; \
		$(BIN)/policy-search --data-dir $(DATA_DIR) ingest corpus/ ; \
	fi
	$(BIN)/policy-search --data-dir $(DATA_DIR) serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

corpus: install
	$(BIN)/python scripts/make_corpus.py

clean:
	rm -rf $(VENV) $(DATA_DIR) *.egg-info
