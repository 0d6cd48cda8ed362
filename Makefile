# IntegraPath: `make run` serves the app with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
FLASK := $(BIN)/flask --app integrapath
LOCALES := de fr es uk ar fa fa_AF tr ru ps ckb ti so en
# Regional catalogs hold only the messages that differ from their language's catalog (Dari
# over Persian); the app falls back to that one for the rest (integrapath/i18n.py).
REGIONAL_LOCALES := fa_AF
HOST ?= 127.0.0.1
PORT ?= 5000

# One test process per core (pytest-xdist), each test module whole in one of them so that a
# module's served app and fixtures are built once; `PYTEST_WORKERS=` runs in one process.
PYTEST_WORKERS ?= -n auto --dist loadfile

CHROMIUM ?= /usr/bin/chromium
VNU_JAR := node_modules/vnu-jar/build/dist/vnu.jar
# Node tools, installed together (a second `npm install --no-save` removes the first's).
NODE_TOOLS := vnu-jar@26.9.27 bootstrap@5.3.9 purgecss@8.0.0
NODE_TOOLS_STAMP := node_modules/.tools-$(shell echo $(NODE_TOOLS) | cksum | cut -d' ' -f1)

.PHONY: run test lint format translations compile-translations screenshots browser-deps security-deps html-checker node-tools css assets bench clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# Development settings are asked for here; anything else starts in production (fail closed).
run: export INTEGRAPATH_ENV = development
run: $(STAMP) assets
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) load-reference-data
	$(FLASK) seed-demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(STAMP) browser-deps security-deps node-tools assets
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (never `playwright install`: it downloads).
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Chromium from Debian's packages for the browser tests"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core \
				|| echo "Could not install Chromium: the browser tests will be SKIPPED"; \
		else \
			echo "No Chromium at $(CHROMIUM) and not root: the browser tests will be SKIPPED"; \
		fi; \
	fi

# Debian's sqlmap, which probes the caseload's search and filters (tests/test_sqlmap.py).
security-deps:
	@if ! command -v sqlmap >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing sqlmap from Debian's packages for the injection test"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlmap \
				|| (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlmap) \
				|| echo "Could not install sqlmap: the injection test will be SKIPPED"; \
		else \
			echo "No sqlmap and not root: the injection test will be SKIPPED"; \
		fi; \
	fi

# The W3C Nu HTML Checker (needs Java, present on the project's machines), Bootstrap's
# stylesheets and PurgeCSS, from npm.
node-tools:
	@if [ ! -f $(NODE_TOOLS_STAMP) ]; then \
		if command -v npm >/dev/null && command -v java >/dev/null; then \
			npm install --no-save --ignore-scripts --silent $(NODE_TOOLS) && touch $(NODE_TOOLS_STAMP) \
				|| echo "Could not install $(NODE_TOOLS): the HTML and stylesheet checks will be SKIPPED"; \
		else \
			echo "No npm or Java: the HTML and stylesheet checks will be SKIPPED"; \
		fi; \
	fi

html-checker: node-tools

# Only the Bootstrap rules the templates use (committed; a test says when it is stale).
css: node-tools
	node tools/purge-bootstrap.mjs

# Static files with hashed names and gzip/Brotli variants, served by WhiteNoise.
# Building files needs no secrets: development settings, whatever the machine serves.
assets: export INTEGRAPATH_ENV = development
assets: $(STAMP)
	$(FLASK) build-assets

# Screenshots of every page the journeys visit (desktop and phone, English and Arabic).
screenshots: $(STAMP) browser-deps
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q
	@echo "Screenshots are in screenshots/"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check integrapath tests benchmarks config.py wsgi.py

format: $(STAMP)
	$(BIN)/ruff format integrapath tests benchmarks config.py wsgi.py
	$(BIN)/ruff check --fix .

# Extract every marked string, merge it into each catalog, compile the catalogs.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project IntegraPath --version 0.1 \
		-o messages.pot .
	for locale in $(LOCALES); do \
		if [ -f translations/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i messages.pot -d translations -l $$locale --no-fuzzy-matching; \
		else \
			$(BIN)/pybabel init -i messages.pot -d translations -l $$locale; \
		fi; \
		case " $(REGIONAL_LOCALES) " in *" $$locale "*) \
			msgattrib --translated --force-po -o translations/$$locale/LC_MESSAGES/messages.po \
				translations/$$locale/LC_MESSAGES/messages.po;; \
		esac; \
	done
	$(MAKE) compile-translations

compile-translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

# Speed under load (benchmarks/load.py): BENCH_CASES generated cases (default 1,000) on SQLite,
# or BENCH_DATABASE_URL=postgresql+psycopg://...; every page of benchmarks/pages.py driven by
# wrk beside the bare-Flask ceiling; the table is appended to BENCHMARKS.md.
bench: $(STAMP)
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
		else \
			echo "make bench needs wrk (Debian package wrk); install it as root"; exit 1; \
		fi; \
	fi
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/exports.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results screenshots build/static
