# The two commands a newcomer needs (see README.md): `make demo` and `make test`.
# Both create ./.venv and install the project into it; nothing is needed beyond python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: demo test install lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"

# Set up and start the back office (web, Celery worker, Celery beat) with demo data.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "Admin:    http://$(HOST):$(PORT)/admin/   (login: admin / demo-pass-123)"
	@echo "API:      http://$(HOST):$(PORT)/api/     (docs: /api/schema/swagger-ui/)"
	@echo "Stop with Ctrl-C."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) HOST=$(HOST) $(BIN)/honcho -f Procfile.dev start

# Set up and run the whole test suite (PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set).
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
