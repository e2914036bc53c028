#!/usr/bin/env bash
# Runs every check of `make test` in a staged collection (tools/stage-collection.sh) and prints a summary.
# Every check runs even when an earlier one fails, so one CI run shows all problems; the exit status is 1 if any failed.
# Usage: tools/ci-checks.sh COLLECTION_DIR   (COLLECTION_DIR ends in ansible_collections/oob/amt)
set -euo pipefail

tools_dir=$(cd "$(dirname "$0")" && pwd)
collection=$(cd "${1:?usage: $0 COLLECTION_DIR}" && pwd)
collections_root=$(cd "$collection/../../.." && pwd)
export ANSIBLE_COLLECTIONS_PATH=$collections_root
export ANSIBLE_REMOTE_TMP=$collections_root/remote_tmp
export ANSIBLE_LOCAL_TEMP=$collections_root/local_tmp
cd "$collection"

sanity() {
    ansible-test sanity --venv --python 3.11 --color no
}

collection_unit_tests() {
    cd "$collections_root"
    python -m pytest -p no:cacheprovider ansible_collections/oob/amt/tests/unit
}

simulator_tests() {
    python -m pytest -p no:cacheprovider simulator/tests
}

integration_tests() {
    if [[ ! -d tests/integration ]]; then
        echo "no tests/integration directory: nothing to run"
        return 0
    fi
    # Three files at a time: each has loopback addresses of its own (conftest.py), and most of their time is spent
    # waiting on simulated firmware.
    PYTHONPATH=$collections_root python -m pytest -p no:cacheprovider -n 3 --dist loadfile tests/integration
}

module_docs() {
    python "$tools_dir/check_action_group.py" .
    local module name
    for module in plugins/modules/*.py; do
        name=$(basename "$module" .py)
        ansible-doc -t module "oob.amt.$name" >/dev/null
        echo "ansible-doc oob.amt.$name: ok"
    done
    local role
    for role in roles/*/; do
        name=$(basename "$role")
        ansible-doc -t role "oob.amt.$name" >/dev/null
        echo "ansible-doc -t role oob.amt.$name: ok"
    done
}

# ansible-core 2.17, the oldest release meta/runtime.yml admits, runs modules on Python 3.7 and later (2.18 and 2.19 on 3.8
# and later); amt_provision and a local amt_unprovision run on the managed host, so all module code must run there.
OLDEST_TARGET_PYTHON=3.7

target_python() {
    vermin --no-tips --violations -t="$OLDEST_TARGET_PYTHON-" plugins/modules plugins/module_utils
    local root python
    root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
    python=$(compgen -G "${root:-/nonexistent}/versions/$OLDEST_TARGET_PYTHON.*/bin/python" | head -n 1 || true)
    if [[ -z $python ]]; then
        echo "SKIPPED compiling under Python $OLDEST_TARGET_PYTHON: no pyenv interpreter (only vermin's check above ran)"
        return 0
    fi
    # compile() writes no bytecode into the staged copy.
    find plugins/modules plugins/module_utils -name '*.py' -print0 \
        | xargs -0 "$python" -c 'import sys
for path in sys.argv[1:]:
    with open(path, "rb") as source:
        compile(source.read(), path, "exec")
print("%d files compile under Python %s" % (len(sys.argv) - 1, sys.version.split()[0]))'
}

ansible_releases() {
    "$tools_dir/test-ansible-releases.sh" "$collection" "$collections_root/release-venvs"
}

changelog_lint() {
    antsibull-changelog lint
}

collection_build() {
    ansible-galaxy collection build --force --output-path "$collections_root/dist"
}

ansible_lint() {
    # production profile, offline: the rules and exclusions are in .ansible-lint; oob.amt resolves to this staged copy.
    ansible-lint --offline --profile production
}

# Every scenario under extensions/molecule starts its own simulators, so each runs in a private network namespace
# when unshare allows one (as `make oracle` does); ephemeral state stays under the staged root.
molecule_scenarios() {
    local scenario_dir name
    local -a isolate=()
    if unshare --net --map-root-user true 2>/dev/null; then
        isolate=(unshare --net --map-root-user sh -c 'ip link set lo up && exec "$@"' sh)
    else
        echo "molecule: no private network namespace (unshare refused); using the host's loopback"
    fi
    for scenario_dir in extensions/molecule/*/; do
        [[ -d $scenario_dir ]] || continue
        name=$(basename "$scenario_dir")
        echo "molecule test -s $name"
        MOLECULE_EPHEMERAL_DIRECTORY=$collections_root/molecule/$name "${isolate[@]}" molecule test -s "$name"
    done
}

summary=()
failed=0
run_check() {
    local title=$1 begun=$SECONDS status
    printf '\n==== %s ====\n' "$title"
    # The check runs in a subshell that turns set -e back on and is not part of an if/&&/||, so its first
    # failing command ends it; the outer shell, with set -e off for the moment, records the status.
    set +e
    (set -e; "$2")
    status=$?
    set -e
    if ((status == 0)); then
        summary+=("$(printf 'ok      %-26s %4d s' "$title" $((SECONDS - begun)))")
    else
        summary+=("$(printf 'FAILED  %-26s %4d s (exit %d)' "$title" $((SECONDS - begun)) "$status")")
        failed=1
    fi
}

run_check "ansible-test sanity" sanity
run_check "collection unit tests" collection_unit_tests
run_check "simulator tests" simulator_tests
run_check "integration tests" integration_tests
run_check "ansible-doc on modules, roles" module_docs
run_check "target Python $OLDEST_TARGET_PYTHON" target_python
run_check "older ansible-core releases" ansible_releases
run_check "ansible-lint" ansible_lint
run_check "molecule scenarios" molecule_scenarios
run_check "antsibull-changelog lint" changelog_lint
run_check "collection build" collection_build

printf '\n==== summary ====\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
