#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 needs < 3.11). Checks PATH first, then
# pyenv's versions folder (its shim may exist without the version being selected), then /usr.
set -u
for candidate in "${PYTHON:-}" python3.10 ~/.pyenv/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys; raise SystemExit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "python3.10 not found: install Python 3.10 (e.g. pyenv install 3.10) and retry" >&2
exit 1
