# shellcheck shell=bash
# Helpers reading go.mod.

# Module path declared in go.mod (empty when missing).
# Usage: module_path GO_MOD_FILE
module_path() {
  sed -n -E 's/^[[:space:]]*module[[:space:]]+"?([^"[:space:]]+)"?.*$/\1/p' "$1" | head -n 1
}

# Name `go build` gives the binary of the module's root package: the last
# element of the module path, skipping a major version suffix (/v2, /v3...).
# Usage: binary_name MODULE_PATH
binary_name() {
  local path="$1" name
  name="${path##*/}"
  if [[ "$name" =~ ^v[0-9]+$ && "$path" == */* ]]; then
    path="${path%/*}"
    name="${path##*/}"
  fi
  printf '%s' "$name"
}
