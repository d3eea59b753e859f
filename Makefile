# The two commands a newcomer needs (see README.md): `make demo` and `make test`.
# Both create ./.venv and install the project into it; nothing is needed beyond python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Installed when pyproject.toml last changed; `make install` does nothing until it changes again.
INSTALLED := $(VENV)/.installed

.PHONY: demo test install lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# setuptools' warning about editable installs does not apply: the project installs no packages of its own here,
# only its dependencies.
$(INSTALLED): pyproject.toml | $(BIN)/python
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(INSTALLED)

# Set up and start the back office (web, Celery worker, Celery beat) with demo data. honcho starts every line with
# the time, in Beijing time like every time in the back office (TZ), so the processes leave theirs off (LOG_TIMES).
demo: install
	@$(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(BIN)/python manage.py seed_demo
	@TZ=Asia/Shanghai LOG_TIMES=0 PATH="$(abspath $(BIN)):$$PATH" PORT=$(PORT) HOST=$(HOST) \
		$(BIN)/honcho -f Procfile.dev start

# Set up and run the whole test suite (PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set).
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
