# shellcheck shell=bash
# Finds the deployable artifact of a JVM app.

# Prints the name of the single *.jar or *.war file at the top of the app
# folder; returns 1 when there is none or more than one.
# Usage: find_artifact BUILD_DIR
find_artifact() {
  local dir="$1" file
  local found=()
  for file in "$dir"/*.jar "$dir"/*.war; do
    [[ -f "$file" ]] && found+=("${file##*/}")
  done
  (( ${#found[@]} == 1 )) || return 1
  printf '%s\n' "${found[0]}"
}

# Quotes a file name for a shell command line when it needs it.
shell_word() {
  if [[ "$1" =~ ^[A-Za-z0-9._/+-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}
