# Journeyboard — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Map events are small and go to many sockets: compressing each one costs more than it saves.
UVICORN_OPTIONS ?= --ws-per-message-deflate false

.PHONY: run test bench lint format install system-deps clean

# Re-install only when the dependencies change.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Programs the tests drive outside Python: Chromium for the browser tests (Playwright's own
# browser download does not work offline), emoji fonts for screenshots, docker-compose to
# validate the compose file, Node.js for the front end's unit tests (tests/js/). Installed with
# apt when root; elsewhere those tests skip and say so.
SYSTEM_PACKAGES := chromium fonts-noto-color-emoji docker-compose nodejs
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	[ -d /usr/share/fonts/truetype/noto ] && ls /usr/share/fonts/truetype/noto | grep -q ColorEmoji || missing="$$missing fonts-noto-color-emoji"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing with apt…"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	    (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1) || \
	    echo "Could not install$$missing; the tests that need them will be skipped."; \
	  else \
	    echo "Missing$$missing and not root: the tests that need them will be skipped."; \
	  fi; \
	fi

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)
	@# The Celery worker (with beat) runs beside the ASGI server and stops with it.
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=warning \
	  --schedule=var/celerybeat-schedule & worker=$$!; \
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) $(UVICORN_OPTIONS)

# Each test run keeps its channel groups and presence apart from anything else on the same Redis.
test: install system-deps
	JOURNEYBOARD_REDIS_PREFIX=jb-test-$$$$ $(BIN)/pytest $(PYTEST_ARGS)

bench: install system-deps
	$(BIN)/python bench/grid_read.py
	$(BIN)/python bench/editor_render.py
	$(BIN)/python bench/edit_cost.py
	@# 50 clients on one map, 5 editors at 50 edits/s: REST edits (as the browser sends them)
	@# and WebSocket edits, each beside floor rounds of its own.
	$(BIN)/python bench/live_fanout.py
	@# Deployment-shaped: 1,000 sockets on 100 maps, 1 edit/s on each, via REST.
	$(BIN)/python bench/live_fanout.py --via rest --maps 100 --clients-per-map 10 \
	  --editors-per-map 1 --rate-per-map 1
	@# Past what one process can deliver: how the channel layer behaves (the same either way).
	$(BIN)/python bench/live_fanout.py --via ws --clients 200
	$(BIN)/python bench/voc_import.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/dashboard_read.py
	@# Each hostile file of #13 through a real server and worker, beside a tidy one of its size.
	$(BIN)/python bench/hostile_files.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
