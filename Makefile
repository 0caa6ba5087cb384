# tsunagu: `make demo` runs the system with a demo city; `make test` runs every check.
# Django 6.1 needs Python 3.12 or newer: the first such interpreter found is used
# (override with `make PYTHON=/path/to/python3.13 …`).

CITY ?= imizu
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] 2>/dev/null); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: demo test lint pytest clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 以上が見つかりません (Django 6.1 needs Python >= 3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/tsunagu migrate --verbosity 0
	for city in ise imizu sanda inzai toyokawa; do $(BIN)/tsunagu load-plan $$city || exit 1; done
	$(BIN)/tsunagu load-demo $(CITY)
	@echo "つなぐ: http://127.0.0.1:8000 （上のアカウントでログイン。Ctrl+C で終了）"
	TSUNAGU_DEBUG=1 $(BIN)/tsunagu db_worker --no-startup-delay & trap 'kill $$!' EXIT; \
	TSUNAGU_DEBUG=1 $(BIN)/tsunagu runserver 127.0.0.1:8000

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/djlint tsunagu --lint
	$(BIN)/tsunagu makemigrations --check --dry-run --verbosity 1

pytest: $(BIN)/.installed
	$(BIN)/pytest

test: lint pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
