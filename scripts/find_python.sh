#!/bin/sh
# Print the path of the first working Python interpreter >= 3.12.
#
# Candidates are *run* (not just looked up with `command -v`), because pyenv
# shims such as `python3.12` may exist on PATH and still fail when executed.
# Order: $PYTHON (if set), python3, python3.12, python3.13, python3.14,
# pyenv installs (3.12*, 3.13*, 3.14*, ...), /usr/local/bin, /opt/homebrew/bin.
# Exits 2 with a one-line error on stderr when nothing suitable is found.

# Prints the interpreter's real executable path and succeeds if $1 runs and
# is Python >= 3.12.
try_python() {
    [ -n "$1" ] || return 1
    "$1" -c 'import sys
if sys.version_info < (3, 12):
    sys.exit(1)
print(sys.executable or sys.argv[0])' 2>/dev/null </dev/null
}

found() {
    # Print the path the interpreter reports (resolves pyenv shims); fall back
    # to the candidate itself if it reported nothing.
    out=$(try_python "$1") || return 1
    [ -n "$out" ] || out=$1
    printf '%s\n' "$out"
    exit 0
}

if [ -n "${PYTHON:-}" ]; then
    found "$PYTHON"
    echo "warning: PYTHON=$PYTHON is not a working Python >= 3.12; searching elsewhere" >&2
fi

for c in python3 python3.12 python3.13 python3.14; do
    found "$c"
done

pyenv_root=${PYENV_ROOT:-${HOME:-/nonexistent}/.pyenv}
for minor in 12 13 14 15 16 17 18 19; do
    for c in "$pyenv_root"/versions/3."$minor"*/bin/python; do
        [ -x "$c" ] && found "$c"
    done
done

for dir in /usr/local/bin /opt/homebrew/bin; do
    for minor in 12 13 14 15 16 17 18 19; do
        c=$dir/python3.$minor
        [ -x "$c" ] && found "$c"
    done
done

echo "error: no Python >= 3.12 found; install Python 3.12+ or set PYTHON=/path/to/python3.12" >&2
exit 2
