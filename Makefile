# Visionport: `make run` starts everything, `make test` runs the whole test suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint deps-system venv clean

$(STAMP): requirements.txt requirements-dev.txt requirements-trainer.txt requirements-photos.txt
	@test -x $(BIN)/python || $(shell command -v $(PY) || echo python3) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r requirements-trainer.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-photos.txt
	@touch $(STAMP)

venv: $(STAMP)

## Start the broker, web, workers, beat and the trainer in the foreground (Ctrl-C stops all).
run: venv
	@$(BIN)/python manage.py migrate --noinput -v0
	@$(BIN)/python manage.py collectstatic --noinput -v0
	@$(BIN)/python manage.py bootstrap
	@$(BIN)/python manage.py seed_sandbox
	@echo "Visionport is starting on http://$${VISIONPORT_BIND:-127.0.0.1:8000}/ (Ctrl-C stops everything)"
	@exec $(BIN)/python -m config.supervisor Procfile

## Run the whole test suite (unit, integration with a real Celery worker, browser end-to-end).
test: venv
	@bash scripts/test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var node_modules
