# Two entry points: `make run` (the product with a seeded demo) and
# `make test` (the whole suite on real PostgreSQL, Redis and Celery).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
WEB_PORT ?= 8000
# Links the product prints (add-friend URLs, QR codes, tracking links) follow
# the port `make run` serves on unless SITE_URL is set.
SITE_URL ?= http://127.0.0.1:$(WEB_PORT)
# The demo's bots run on this machine (http://127.0.0.1:...); production
# leaves webhooks to public https:// addresses (docs/security.md).
WEBHOOK_ALLOW_PRIVATE_NETWORKS ?= 1
# The talk app's one-click demo customer login; production leaves it off.
TALK_DEMO_LOGIN ?= 1

TEST_ENV := DATABASE_URL=postgres://lineoa:lineoa@127.0.0.1:5432/lineoa \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/1

.PHONY: run test install messages makemessages lint format bench vendor

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) \
		|| { PYTHON=$(PYTHON) .ci/ensure-python-venv.sh && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

messages: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locale -D django

makemessages: $(STAMP)
	$(BIN)/python manage.py makemessages -l ja --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*'
	$(BIN)/python manage.py makemessages -d djangojs -l ja --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*'

run: $(STAMP) messages
	.ci/ensure-fonts.sh
	mkdir -p var
	# A random key kept in var/: the web process refuses the development
	# default with DEBUG=0 (docs/security.md).
	test -s var/secret_key || $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo > var/demo.json
	@echo
	@echo "  Manager console : http://127.0.0.1:$(WEB_PORT)/manager/"
	@echo "  Operator admin  : http://127.0.0.1:$(WEB_PORT)/admin/   (python manage.py createsuperuser)"
	@echo "  Talk app        : http://127.0.0.1:$(WEB_PORT)/talk/"
	@echo "  Demo (also in var/demo.json):"
	@cat var/demo.json; echo
	@echo
	WEB_PORT=$(WEB_PORT) SITE_URL=$(SITE_URL) SECRET_KEY_FILE=var/secret_key \
		WEBHOOK_ALLOW_PRIVATE_NETWORKS=$(WEBHOOK_ALLOW_PRIVATE_NETWORKS) \
		TALK_DEMO_LOGIN=$(TALK_DEMO_LOGIN) \
		exec $(BIN)/honcho start -f Procfile

test: $(STAMP) messages
	.ci/ensure-services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	.ci/ensure-services.sh
	# bench/api.py's load generator (C, from the distribution's packages)
	command -v wrk >/dev/null || { S=""; [ "$$(id -u)" -eq 0 ] || S="sudo -n"; \
		$$S apt-get install -y -qq wrk >/dev/null || { $$S apt-get update -qq && $$S apt-get install -y -qq wrk; }; }
	$(TEST_ENV) $(BIN)/python -m bench $(BENCH)

# Front-end libraries come from npm (package.json, pinned) and are copied into
# static/vendor, which is committed: `make run` and `make test` need no npm.
vendor:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor/chart.js
	cp node_modules/chart.js/dist/chart.umd.js node_modules/chart.js/LICENSE.md static/vendor/chart.js/
