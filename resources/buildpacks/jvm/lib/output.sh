# shellcheck shell=bash
# Output helpers shared by the scripts of this buildpack.
# Steps look like "-----> Step", details are indented by seven spaces and
# errors go to stderr prefixed with " !     ".

# Print a step header.
topic() {
  printf -- '-----> %s\n' "$*"
}

# Print a detail line under the current step.
info() {
  printf '       %s\n' "$*"
}

# Indent everything read from stdin, dropping blank lines (used to pipe
# tool output).
indent() {
  sed -u -e '/^[[:space:]]*$/d' -e 's/^/       /'
}

# Print a warning on stderr, one prefixed line per argument.
warn() {
  local line
  for line in "$@"; do
    printf ' !     %s\n' "$line" >&2
  done
}

# Print an error on stderr and stop the build.
fail() {
  warn "$@"
  exit 1
}

# Value of a config var from ENV_DIR (empty when unset).
# Usage: env_var ENV_DIR NAME [DEFAULT]
env_var() {
  local dir="$1" name="$2" default="${3:-}"
  if [[ -n "$dir" && -f "$dir/$name" ]]; then
    cat "$dir/$name"
  else
    printf '%s' "$default"
  fi
}

# Quote a value for the right-hand side of a YAML mapping when it would
# not be read back verbatim as a plain scalar.
yaml_scalar() {
  local value="$1"
  if [[ "$value" =~ ^[A-Za-z0-9./_$][^:#]*$ && "$value" != *' ' ]]; then
    printf '%s' "$value"
  else
    printf "'%s'" "${value//\'/\'\'}"
  fi
}
