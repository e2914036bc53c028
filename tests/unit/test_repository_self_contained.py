# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repository stands alone: a user who clones it gets every file its tests, comments and docs refer to.

Fails, naming file:line, on
* an absolute path of a build machine: /work/, /root/, /home/... anywhere; /tmp/... where code or a script uses it as
  a data location (system paths such as /dev/mei0, /etc/pki/..., /usr/bin/python are fine);
* a reference to the folder beside the checkout that development once relied on (../shared, shared/amt/..., its
  TOOLCHAIN notes);
* a design document cited by its old name (REFERENCE.md ...) instead of its path under docs/;
* a docs/ citation naming a file that docs/ does not have.

Runs from the checkout or from the staged copy (tools/stage-collection.sh), whose fresh `git init` has no commits: the
files are then found by walking the tree.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
THIS_FILE = pathlib.Path(__file__).resolve().relative_to(ROOT).as_posix()
DOCS = ROOT / "docs"

# Directories that are never part of the repository: VCS data, virtualenvs, CI and demo scratch, caches, build output.
SKIPPED_DIR_NAMES = {".git", ".venv", ".tmp-ci", ".demo", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis"}
SKIPPED_DIR_PATHS = {"tests/output", "dist", "collections"}

# A path that starts a token: not preceded by a character that would make it part of a longer path or URL.
_START = r"(?<![\w.~$/-])"
BUILD_MACHINE_DIR = re.compile(_START + r"/(?:work|root|home)/")
TMP = _START + r"""/tmp/"""
# /tmp/ as a data location in Python: handed to a file API, or bound to a module-level constant.
PYTHON_TMP_USE = re.compile(
    r"(?:\b(?:Path|PurePath|PosixPath|open|join|exists|isdir|isfile|mkdir|makedirs|listdir|glob|rmtree|copy\w*|move|chdir)"
    r"\(\s*|^[A-Z][A-Z0-9_]*\s*(?::[^=]*)?=\s*)[rbuf]*[\"']" + TMP)
ANY_TMP = re.compile(TMP)
# The folder beside the checkout, its sub-folders, and its toolchain notes (cited as TOOLCHAIN S1, TOOLCHAIN.md L1...).
SIBLING_SHARED = re.compile(r"(?:\.\./)+shared\b|(?<![\w.-])shared/(?:amt|design|ansible|hooks)/|\bTOOLCHAIN(?:\.md)?\b")
OLD_DOC_NAME = re.compile(r"\b(?:REFERENCE|TIMING|HARDENING|ARCHITECTURE)\.md\b")
DOCS_CITATION = re.compile(r"(?<![\w.-])docs/([\w.-]+\.md)\b")

RENAMES = {
    "REFERENCE.md": "docs/amt-reference.md",
    "TIMING.md": "docs/firmware-timing.md",
    "HARDENING.md": "docs/hardening-controls.md",
    "ARCHITECTURE.md": "docs/architecture.md",
}


def _is_script(relative):
    name = relative.rsplit("/", 1)[-1]
    return name.endswith(".sh") or name in ("Makefile", "run") or relative.startswith((".ci/", "tools/"))


def _is_yaml(relative):
    return relative.endswith((".yml", ".yaml"))


def build_machine_paths(relative, line):
    """The build-machine paths on one line of the file at ``relative`` (posix, from the repository root)."""
    found = BUILD_MACHINE_DIR.findall(line)
    if relative.endswith(".py"):
        found += PYTHON_TMP_USE.findall(line.strip())
    elif _is_script(relative) and not line.lstrip().startswith("#"):
        found += ANY_TMP.findall(line)
    elif _is_yaml(relative) and not line.lstrip().startswith("#"):
        found += re.findall(r"^\s*-?\s*[\w.-]+:\s*[\"']?" + TMP, line)
    return found


def sibling_references(relative, line):
    return SIBLING_SHARED.findall(line)


def old_document_names(relative, line):
    return OLD_DOC_NAME.findall(line)


def missing_docs(relative, line):
    return [name for name in DOCS_CITATION.findall(line) if not (DOCS / name).is_file()]


def _walk():
    for directory, subdirectories, files in os.walk(ROOT):
        here = pathlib.Path(directory).relative_to(ROOT).as_posix()
        subdirectories[:] = sorted(
            name for name in subdirectories
            if name not in SKIPPED_DIR_NAMES and (name if here == "." else here + "/" + name) not in SKIPPED_DIR_PATHS)
        for name in sorted(files):
            yield name if here == "." else here + "/" + name


def repository_files():
    """The repository's files (tracked, and untracked but not ignored) as posix paths relative to ROOT."""
    listed = []
    if (ROOT / ".git").exists():
        try:
            output = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                    check=True, capture_output=True).stdout
            listed = [path for path in output.decode("utf-8").split("\0") if path]
        except (OSError, subprocess.CalledProcessError):
            listed = []
    if not listed:  # no git, or the staged copy's repository without commits or index
        listed = list(_walk())
    return [path for path in listed if path != THIS_FILE and (ROOT / path).is_file() and not (ROOT / path).is_symlink()]


def text_lines(relative):
    data = (ROOT / relative).read_bytes()
    if b"\0" in data:
        return []
    return data.decode("utf-8", errors="replace").splitlines()


def violations(rule):
    found = []
    for relative in repository_files():
        for number, line in enumerate(text_lines(relative), start=1):
            if rule(relative, line):
                found.append("%s:%d: %s" % (relative, number, line.strip()[:160]))
    return found


def report(found, what):
    return "%d line(s) %s:\n%s" % (len(found), what, "\n".join(found))


def test_the_file_list_covers_the_repository():
    files = set(repository_files())
    assert {"README.md", "galaxy.yml", "docs/README.md"} <= files
    assert not any(path.split("/")[0] in (".git", ".venv", ".tmp-ci") for path in files)


def test_no_absolute_path_of_a_build_machine():
    found = violations(build_machine_paths)
    assert not found, report(found, "name a path that exists only on a build machine; read data from the repository")


def test_no_reference_to_a_folder_beside_the_checkout():
    found = violations(sibling_references)
    assert not found, report(found, "point outside the repository (../shared, TOOLCHAIN notes); cite docs/ or a public source, or say the reason inline")


def test_design_documents_are_cited_by_their_docs_path():
    found = violations(old_document_names)
    renames = ", ".join("%s -> %s" % pair for pair in sorted(RENAMES.items()))
    assert not found, report(found, "cite a design document by a name this repository does not have (%s)" % renames)


def test_docs_citations_name_existing_files():
    found = violations(missing_docs)
    assert not found, report(found, "cite a docs/ file that does not exist")


@pytest.mark.parametrize("relative, line", [
    ("simulator/tests/test_x.py", 'FIXTURES = Path("/work/shared/amt/fixtures/real")'),
    ("README.md", "see /home/alice/notes.txt"),
    ("tools/ci-checks.sh", "cp -r out /root/cache"),
    ("tests/unit/test_x.py", 'CAPTURES = "/tmp/captures"'),
    ("tests/unit/test_x.py", 'data = open("/tmp/x.xml").read()'),
    ("tools/stage.sh", 'dest=/tmp/amt-ci'),
    ("tests/integration/playbooks/x.yml", "    dest: /tmp/evidence"),
])
def test_build_machine_paths_are_caught(relative, line):
    assert build_machine_paths(relative, line)


@pytest.mark.parametrize("relative, line", [
    ("plugins/module_utils/amt/mei.py", 'DEVICE = "/dev/mei0"'),
    ("README.md", "ca_path: /etc/pki/tls/certs/amt-ca.pem"),
    ("tools/get_pip_standin.py", "#!/usr/bin/python3"),
    ("README.md", "https://example.com/home/index.html"),
    ("tools/ci-checks.sh", 'repo=$HOME/work/amt'),
    ("tests/unit/test_x.py", '({"client_cert": "/tmp/c.pem"}, "client_key", "together"),'),
    ("tests/hardware/README.md", "ansible-playbook qualify.yml -e qualify_evidence_dir=/tmp/amt-evidence"),
    ("tools/ci-checks.sh", "# scratch used to live in /tmp/x"),
])
def test_legitimate_paths_pass(relative, line):
    assert not build_machine_paths(relative, line)


@pytest.mark.parametrize("line, caught", [
    ("latency model of ../shared/amt/TIMING.md section 8", True),
    ("the timing model of shared/amt/TIMING.md", True),
    ("ansible-test refuses symlinked collection roots (TOOLCHAIN S2).", True),
    ("this is the setup TOOLCHAIN.md L1-L4 measured.", True),
    ("shared state between threads", False),
])
def test_sibling_references_are_caught(line, caught):
    assert bool(sibling_references("x.py", line)) is caught


@pytest.mark.parametrize("line, caught", [
    ("# AMT_AuthorizationService (REFERENCE.md 4.3)", True),
    ("HARDENING.md marks IsDefault UNCONFIRMED", True),
    ("# AMT_AuthorizationService (docs/amt-reference.md 4.3)", False),
    ("see docs/hardening-controls.md AMT-MEBX-01", False),
])
def test_old_document_names_are_caught(line, caught):
    assert bool(old_document_names("x.py", line)) is caught


def test_a_docs_citation_of_a_missing_file_is_caught():
    assert missing_docs("x.py", "see docs/amt-referance.md 4.3") == ["amt-referance.md"]
    assert missing_docs("x.py", "see docs/amt-reference.md 4.3") == []
