#!/usr/bin/env bash
# Creates models/.venv from the local pip mirrors (DESIGN.md §5). Idempotent: a venv whose
# requirements stamp matches is reused, so `npm test` pays the install only once per machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/models/.venv"
req="$root/models/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
# pip's own configuration names the mirrors as extra indexes; the default index is unreachable
# here, so promote the first mirror to --index-url or every install waits on retries.
args=()
extra="$(pip config get global.extra-index-url 2>/dev/null || true)"
links="$(pip config get global.find-links 2>/dev/null || true)"
if [ -n "$extra" ]; then
  read -r -a mirrors <<<"$extra"
  args+=(--index-url "${mirrors[0]}")
  for m in "${mirrors[@]:1}"; do args+=(--extra-index-url "$m"); done
fi
for l in $links; do args+=(--find-links "$l"); done
python3 -m venv "$venv"
"$venv/bin/pip" install --disable-pip-version-check -q "${args[@]}" -r "$req" 2> >(grep -v "is neither a file nor a directory" >&2)
echo "$want" >"$stamp"
