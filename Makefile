# Two commands do all set-up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
FLASK := .venv/bin/flask
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
DADA_STANDIN_PORT ?= 8803

.PHONY: install assets translations messages run serve test test-sqlite test-postgres lint format bench chromium services clean dada-standin

.venv/bin/python:
	python3 -m venv .venv

.stamp-python: .venv/bin/python requirements.txt requirements-dev.txt
	set -o pipefail; $(PIP) install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 \
		| { grep -v "^WARNING: Location" || true; }
	touch $@

static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

assets: static/vendor/htmx.min.js

translations: .stamp-python
	.venv/bin/pybabel compile -d app/translations >/dev/null 2>&1 || .venv/bin/pybabel compile -d app/translations

# Re-extract the UI strings and merge them into the English catalog (then translate the new ones).
messages: .stamp-python
	.venv/bin/pybabel -q extract -F babel.cfg -k N_ -k NP_:1c,2 -k _l -k lazy_gettext \
		--ignore-dirs=".* ._ node_modules" -o app/translations/messages.pot .
	.venv/bin/pybabel -q update --init-missing --ignore-obsolete \
		-i app/translations/messages.pot -d app/translations -l en

install: .stamp-python assets translations

# Install, migrate, load demo data, print the logins, serve (with an RQ worker when REDIS_URL is set).
# The worker and the sweep are started again whenever they exit (Redis went away, a crash);
# `kill 0` at exit takes the restart loops down with the server.
# Development: without SECRET_KEY the app makes a random one once in instance/secret_key (0600).
run: export HAOSHANG_ENV := development
run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed
	@trap 'kill 0' EXIT; \
	export DADA_CALLBACK_URL="$${DADA_CALLBACK_URL:-http://$(HOST):$(PORT)/couriers/dada/callback}"; \
	if [ -n "$$REDIS_URL" ]; then echo "RQ worker started (REDIS_URL=$$REDIS_URL)"; \
		while :; do $(PY) worker.py; echo "RQ worker exited ($$?), restarting in 2s"; sleep 2; done & fi; \
	echo "Deadline sweep started (RQ cron with REDIS_URL, else a timer)"; \
	export PAYMENT_STANDINS=1; \
	while :; do $(FLASK) deadlines run; echo "Deadline sweep exited ($$?), restarting in 2s"; sleep 2; done & \
	echo "WeChat Pay and Alipay stand-ins on http://127.0.0.1:8801 and :8802 (pay pages for 在线支付)"; \
	if [ -z "$$DADA_BASE_URL" ]; then \
		while :; do $(PY) -m app.delivery.dada.standin --port $(DADA_STANDIN_PORT) >instance/dada-standin.log 2>&1; \
			rc=$$?; [ $$rc = 3 ] && { echo "Dada stand-in: port $(DADA_STANDIN_PORT) taken, using the one there"; break; }; \
			echo "Dada stand-in exited ($$rc), restarting in 2s"; sleep 2; done & \
		echo "Dada stand-in on http://127.0.0.1:$(DADA_STANDIN_PORT) (its page: the orders sent, simulators 接单 取货 完成)"; fi; \
	echo "Serving on http://$(HOST):$(PORT)"; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The Dada open-API stand-in alone, in the foreground (127.0.0.1:8803; `make run` starts it too):
# its page lists the orders the app sent, with the test environment's simulators as buttons.
dada-standin: .stamp-python
	$(PY) -m app.delivery.dada.standin --port $(DADA_STANDIN_PORT)

# gunicorn with gunicorn.conf.py (workers from the CPU count or WEB_CONCURRENCY, timeouts, access
# log on stdout) on BIND (127.0.0.1:8000). Needs SECRET_KEY; REDIS_URL is optional (without it jobs
# run in-process). The RQ worker and the deadline sweep run beside it (README, "Workers in
# production").
serve: install
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY to a long random value" >&2; exit 2; }
	$(FLASK) db upgrade
	.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

# Debian's Chromium for the browser tests (never a downloaded browser).
chromium:
	@(command -v chromium >/dev/null && fc-list :lang=zh | grep -q .) || (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null)

lint: .stamp-python
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: .stamp-python
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

test-sqlite: install chromium services
	$(PY) -m pytest -n 2 -q --db=sqlite -m "not postgres"

# PostgreSQL and Redis for the suite: started when down, installed when missing (never skipped).
services:
	@scripts/services.sh

test-postgres: install services
	$(PY) -m pytest -n 2 -q --db=postgres -m "not browser"

# Lint, then the suite on SQLite (with the browser flows, without the postgres-only tests) and
# on PostgreSQL (everything but the browser flows, the redis and postgres tests included).
test: lint test-sqlite test-postgres

# wrk (Debian's) generates the load; without it bench/load.py's Python generator is used.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) || true
	$(PY) -m bench.run
	$(PY) -m bench.checkout --buyers 16 --duration 10
	$(PY) -m bench.grab --riders 32 --tasks 200

clean:
	rm -rf .venv node_modules static/vendor .stamp-* instance/haoshang.db
