# make test: every check CI runs (.ci/run calls it).  make demo: a simulated fleet provisioned, hardened (twice), reported and partly decommissioned.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := test

VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.oob-amt-installed
CI_ROOT := $(CURDIR)/.tmp-ci
COLLECTION := $(CI_ROOT)/ansible_collections/oob/amt
DEMO_ROOT := $(CURDIR)/.demo
DEMO_DEVICES := 8
# Two devices of each generation whose behaviour differs; amtsim picks factory, CCM and ACM among them (--profile mixed).
DEMO_FIRMWARE := 11.8:2,12.0:2,16.1:2,19.0:2
# Other simulators on the machine may hold the default addresses: make demo DEMO_FIRST_ADDRESS=127.77.240.1 ...
DEMO_FIRST_ADDRESS ?= 127.77.0.1
DEMO_LOCAL_FIRST_ADDRESS ?= 127.78.0.1

# Tools run from the venv without activating it find their siblings (ansible-config, ...) through PATH.
export PATH := $(VENV)/bin:$(PATH)
export NO_COLOR := 1
export PY_COLORS := 0
export ANSIBLE_NOCOLOR := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv test demo clean oracle

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements-dev.txt requirements-lock.txt requirements.txt simulator/pyproject.toml
	@if [[ ! -x "$(PYTHON)" ]]; then python3.11 -m venv "$(VENV)"; fi
	"$(PYTHON)" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c requirements-lock.txt
	"$(PYTHON)" -m pip install --quiet --disable-pip-version-check -c requirements-lock.txt -e simulator/
	touch "$@"

test: venv
	@started=$$SECONDS
	printf '\n==== seed ansible-test offline pip bootstrap ====\n'
	tools/seed-ansible-test.sh "$(PYTHON)"
	printf '\n==== headless browser for the report test ====\n'
	tools/ensure-chromium.sh
	printf '\n==== stage the checkout ====\n'
	tools/stage-collection.sh "$(CI_ROOT)"
	status=0
	tools/ci-checks.sh "$(COLLECTION)" || status=$$?
	echo "make test: $$((SECONDS - started)) s wall time"
	exit $$status

demo: venv
	@rm -rf "$(DEMO_ROOT)"
	mkdir -p "$(DEMO_ROOT)"
	tools/stage-collection.sh "$(DEMO_ROOT)/collections" >/dev/null
	amtsim serve --devices $(DEMO_DEVICES) --firmware $(DEMO_FIRMWARE) --profile mixed --seed 7 \
		--first-address $(DEMO_FIRST_ADDRESS) --local-first-address $(DEMO_LOCAL_FIRST_ADDRESS) \
		--state-dir "$(DEMO_ROOT)/state" --inventory "$(DEMO_ROOT)/inventory.yml" >"$(DEMO_ROOT)/amtsim.log" 2>&1 &
	simulator=$$!
	trap 'kill -TERM $$simulator 2>/dev/null || true; wait $$simulator 2>/dev/null || true' EXIT
	for _ in $$(seq 1 300); do
		if grep -q "^amtsim: serving $(DEMO_DEVICES) devices" "$(DEMO_ROOT)/amtsim.log"; then break; fi
		if ! kill -0 $$simulator 2>/dev/null; then cat "$(DEMO_ROOT)/amtsim.log" >&2; echo "demo: amtsim exited before it was ready" >&2; exit 1; fi
		sleep 0.1
	done
	if ! grep -q "^amtsim: serving $(DEMO_DEVICES) devices" "$(DEMO_ROOT)/amtsim.log"; then
		cat "$(DEMO_ROOT)/amtsim.log" >&2; echo "demo: amtsim not ready after 30 s" >&2; exit 1
	fi
	ANSIBLE_COLLECTIONS_PATH="$(DEMO_ROOT)/collections" ANSIBLE_REMOTE_TMP="$(DEMO_ROOT)/remote_tmp" \
		ANSIBLE_LOCAL_TEMP="$(DEMO_ROOT)/local_tmp" ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
		ansible-playbook -i "$(DEMO_ROOT)/inventory.yml" playbooks/demo.yml \
		-e amt_hardening_report_dir="$(DEMO_ROOT)/reports" -e amt_demo_decommission_dir="$(DEMO_ROOT)/decommission"

# Third-party clients (MeshCentral's AMT stack, python-amt, Intel's wsman-messages) against simulated fleets; not part of
# `make test` because it needs npm. The checks run in a private network namespace when unshare allows one.
ORACLE_NODE_STAMP := oracle/node_modules/.oob-amt-installed

$(ORACLE_NODE_STAMP): oracle/package.json oracle/package-lock.json
	(cd oracle && npm ci --ignore-scripts --no-audit --no-fund)
	touch "$@"

oracle: venv $(ORACLE_NODE_STAMP)
	@if unshare --net --map-root-user true 2>/dev/null; then
		unshare --net --map-root-user sh -c 'ip link set lo up && exec "$$0" oracle/run.py' "$(PYTHON)"
	else
		echo "oracle: no private network namespace (unshare refused); using the host's loopback" >&2
		"$(PYTHON)" oracle/run.py
	fi

clean:
	@rm -rf "$(CI_ROOT)" "$(DEMO_ROOT)" tests/output .hypothesis .pytest_cache dist
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
