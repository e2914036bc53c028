# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip script ansible-test downloads to bootstrap pip in its venvs.

ansible-test runs it as __main__ with pip's install arguments; the pip wheel lies next to it (tools/seed-ansible-test.sh).
"""

from __future__ import annotations

import glob
import os
import sys

# get-pip options that pip install itself does not know.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    wheels = sorted(glob.glob(os.path.join(here, "pip-*-py3-none-any.whl")))
    if not wheels:
        sys.exit("no pip wheel beside %s: run tools/seed-ansible-test.sh" % __file__)
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-error

    arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
    sys.exit(pip_main(["install", "--no-index", "--find-links", here] + arguments))


if __name__ == "__main__":
    main()
