# Everything a fresh clone needs: `make run` and `make test` set up .venv themselves.
# `make run` installs what tempgen needs to run (click, numpy, rich, and the build of its
# compiled loop); `make test` adds what its tests need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN    := $(VENV)/.run-installed
TEST   := $(VENV)/.test-installed

.PHONY: run test bench bench-scale readme models lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the package metadata or build changes.
$(RUN): pyproject.toml setup.py | $(BIN)/python
	@command -v "$${CC:-cc}" >/dev/null 2>&1 || echo "note: no C compiler ($${CC:-cc}):" \
	    "tempgen installs without its compiled loop and prints the same text, more slowly"
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $@

$(TEST): $(RUN)
	$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	touch $@

run: $(RUN)
	$(BIN)/tempgen sweep -n 300 --seed 7

test: $(TEST)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

bench: $(TEST)
	$(BIN)/python bench/run.py

# Training on corpora of 25-250 MB within --memory 2G (long: the corpora are made once, by
# tempgen itself, and kept in build/scale/).
bench-scale: $(TEST)
	$(BIN)/python bench/scale.py

# The README's example outputs and pictures, made anew from the tool itself (the explorer's
# picture by its browser test).
readme: $(TEST)
	$(BIN)/python bench/readme.py
	TEMPGEN_SCREENSHOT=docs/explorer.png $(BIN)/python -m pytest -q tests/test_browser.py -k branches

lint: $(TEST)
	$(BIN)/ruff check .

# Rebuild the bundled models from the bundled corpora (deterministic: byte-identical on a rerun).
models: $(RUN)
	$(BIN)/tempgen train sample_models/corpora/shakespeare.txt --level char --order 7 \
	    --name shakespeare-char -o sample_models/shakespeare-char.npz
	$(BIN)/tempgen train sample_models/corpora/shakespeare.txt --level word --order 3 \
	    --name shakespeare-word -o sample_models/shakespeare-word.npz
	$(BIN)/tempgen train sample_models/corpora/names.txt --level char --order 5 --per-line \
	    --name names-char -o sample_models/names-char.npz

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
