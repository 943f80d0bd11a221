# Everything a fresh clone needs: `make run` and `make test` set up .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench models lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the package metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tempgen sweep -m shakespeare-char -n 300 --seed 7

test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .

# Rebuild the bundled models from the bundled corpora (deterministic: byte-identical on a rerun).
models: $(STAMP)
	$(BIN)/tempgen train sample_models/corpora/shakespeare.txt --level char --order 7 \
	    --name shakespeare-char -o sample_models/shakespeare-char.npz
	$(BIN)/tempgen train sample_models/corpora/shakespeare.txt --level word --order 3 \
	    --name shakespeare-word -o sample_models/shakespeare-word.npz
	$(BIN)/tempgen train sample_models/corpora/names.txt --level char --order 5 --per-line \
	    --name names-char -o sample_models/names-char.npz

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
