#!/usr/bin/env bash
# Format the project's C sources with the committed .clang-format:
#   bash tools/scripts/format.sh           rewrite the files in place
#   bash tools/scripts/format.sh --check   list files that differ; exit 1 if any
# Generated code (tests/golden/) and the templates are left alone: their
# layout is the generator's output, checked byte for byte.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang-format >/dev/null; then
    echo "format: clang-format is not installed" >&2
    [ "${1:-}" = --check ] && exit 77 # meson: skipped
    exit 2
fi
mapfile -t files < <(git ls-files -- 'runtime/*.[ch]' 'idlc/*.[ch]' 'tools/*.[ch]' \
    'bench/*.[ch]' 'examples/*.[ch]' 'tests/*.[ch]' ':!tests/golden/*')
if [ "${1:-}" = --check ]; then
    # One run over every file; it names each place that differs.
    out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1)
    if [ -n "$out" ]; then
        printf '%s\n' "$out" | grep -E 'error:' | cut -d: -f1 | sort -u | sed 's/^/not formatted: /'
        echo "format: run bash tools/scripts/format.sh" >&2
        exit 1
    fi
    exit 0
fi
clang-format -i "${files[@]}"
