# Two commands on a fresh machine: `make run` and `make test`. Each bootstraps .venv idempotently.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.stamp-run
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: run test bench soak dist screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/schoolmh

test: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/run

soak: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest soak -q

screenshots: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m schoolmh.ui.screenshots docs/screenshots
	QT_SCALE_FACTOR=1.5 $(BIN)/python -m schoolmh.ui.screenshots docs/screenshots/911x512

# The self-test shows its window on the real platform: the desktop's (cocoa, xcb…) or offscreen without a display.
dist: $(STAMP_TEST)
	$(BIN)/pip install -q -e '.[build]'
	$(BIN)/pyinstaller --noconfirm --clean build.spec
	dist/SchoolMH/SchoolMH --selftest

clean:
	rm -rf build dist
