#!/usr/bin/env bash
# Lets ansible-test build its venvs offline: it downloads a get-pip script from a server this
# network cannot reach, unless ~/.ansible/test/cache/get_pip_<version>.py already exists. Idempotent.
# Usage: tools/seed-ansible-test.sh PYTHON   (the interpreter whose ansible-test is used)
set -euo pipefail

python=${1:?usage: $0 PYTHON}
here=$(cd "$(dirname "$0")" && pwd)
ansible_test_dir=$("$python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" "$ansible_test_dir/_internal/python_requirements.py")
if [[ -z $pip_version ]]; then
    echo "seed-ansible-test: cannot find the pip version ansible-test pins in $ansible_test_dir" >&2
    exit 1
fi

cache=$HOME/.ansible/test/cache
standin=$cache/get_pip_${pip_version//./_}.py
mkdir -p "$cache"
if ! compgen -G "$cache/pip-$pip_version-py3-none-any.whl" >/dev/null; then
    "$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$cache" "pip==$pip_version"
fi
if ! cmp -s "$here/get_pip_standin.py" "$standin"; then
    cp "$here/get_pip_standin.py" "$standin"
fi
echo "seed-ansible-test: pip $pip_version bootstrap ready in $cache"
