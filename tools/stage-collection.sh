#!/usr/bin/env bash
# Copies the checkout's files (tracked, plus untracked ones that are not ignored) as real files into
# DEST/ansible_collections/oob/amt: ansible-test refuses symlinked collection roots.
# Usage: tools/stage-collection.sh DEST   (run from anywhere inside the checkout)
set -euo pipefail

dest_root=${1:?usage: $0 DEST}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
collection=$dest_root/ansible_collections/oob/amt

rm -rf "$collection"
mkdir -p "$collection"
cd "$repo"
# A file deleted from the work tree but not yet from git is skipped; symlinks are skipped as sanity forbids them.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do
        if [[ -f $path && ! -L $path ]]; then printf '%s\0' "$path"; fi
    done \
    | tar --null --files-from=- --create --file=- \
    | tar --extract --file=- --directory="$collection"
# ansible-test lists files through the nearest .git above the collection; without one of its own it would use the
# checkout's, which ignores .tmp-ci, and skip every target.
git -c init.defaultBranch=main init --quiet "$collection"
echo "stage-collection: $(find "$collection" -type f | wc -l) files in $collection"
