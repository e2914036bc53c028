#!/usr/bin/env bash
# Runs the unit tests and the end-to-end smoke test (tests/integration/test_smoke.py) under every ansible-core release
# the collection claims besides the tool chain's own (meta/runtime.yml requires_ansible), each in its own venv built
# from tools/ansible-releases/ansible-core-<release>.txt. A venv is rebuilt only when its lock file changed (a stamp
# holds a copy of the lock it was built from). The simulator runs from the staged copy through PYTHONPATH.
# Building a venv needs PyPI; with --venvs-only the script only builds them (for a later run without network).
# Usage: tools/test-ansible-releases.sh COLLECTION_DIR VENV_ROOT [--venvs-only]
#        (COLLECTION_DIR ends in ansible_collections/oob/amt)
set -euo pipefail

tools_dir=$(cd "$(dirname "$0")" && pwd)
collection=$(cd "${1:?usage: $0 COLLECTION_DIR VENV_ROOT}" && pwd)
venv_root=${2:?usage: $0 COLLECTION_DIR VENV_ROOT [--venvs-only]}
venvs_only=${3:-}
collections_root=$(cd "$collection/../../.." && pwd)
mkdir -p "$venv_root"

release_venv() {
    local lock=$1 venv=$2
    if cmp -s "$lock" "$venv/.oob-amt-lock"; then
        return 0
    fi
    rm -rf "$venv"
    python3.11 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
    cp "$lock" "$venv/.oob-amt-lock"
}

status=0
for lock in "$tools_dir"/ansible-releases/ansible-core-*.txt; do
    release=$(basename "$lock" .txt)
    venv=$venv_root/$release
    begun=$SECONDS
    release_venv "$lock" "$venv"
    echo "$release: venv ready (ansible-core $("$venv/bin/python" -c "import ansible.release; print(ansible.release.__version__)")) in $((SECONDS - begun)) s"
    if [[ $venvs_only == --venvs-only ]]; then
        continue
    fi
    # tools/module_args_compat.py gives releases before 2.19 the test helper patch_module_args.
    if ! (cd "$collections_root" && PYTHONPATH=$tools_dir "$venv/bin/python" -m pytest -q -p no:cacheprovider \
            -p module_args_compat ansible_collections/oob/amt/tests/unit); then
        echo "$release: unit tests FAILED"
        status=1
    fi
    if ! (cd "$collection" && PATH=$venv/bin:$PATH PYTHONPATH=$collections_root:$collection/simulator \
            "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/integration/test_smoke.py); then
        echo "$release: smoke test FAILED"
        status=1
    fi
    echo "$release: done in $((SECONDS - begun)) s"
done
exit "$status"
