#!/usr/bin/env bash
# `recipe lint` of the abra stand-in (tests/swarm/abra): checks a recipe checkout against a
# subset of abra's lint rules, for real, and prints abra's table. Exits 0 even when an error
# rule fails, as abra does. Usage: lint_recipe.sh RECIPE_DIR [ONLY_ERRORS]
set -uo pipefail
dir=$1
only_errors=${2:-}
rows=()
rule() {  # REF SEVERITY DESCRIPTION SATISFIED(0|1) RESOLVE
  [[ -n "$only_errors" && "$2" != error ]] && return
  local sat="❌"
  [ "$4" = 1 ] && sat="✅"
  rows+=("$(printf '│ %s │ %-40s │ %-8s │ %s         │ ❌       │ %-30s │' "$1" "$3" "$2" "$sat" "$5")")
}

# The compose files as the recipe's .env.sample selects them, interpolated with its values.
names=$(cd "$dir" && set -a +u && source ./.env.sample >/dev/null 2>&1; echo "${COMPOSE_FILE:-compose.yml}")
IFS=: read -ra names <<<"$names"
files=()
for f in "${names[@]}"; do [ -f "$dir/$f" ] && files+=("$dir/$f"); done
[ ${#files[@]} -gt 0 ] || { echo "FATA $dir has no compose.yml"; exit 1; }
facts() { (set -a +u; source "$dir/.env.sample" >/dev/null 2>&1; STACK_NAME=lint; compose-facts "$1" "${files[@]}"); }
services=$(facts services) || { echo "FATA cannot read the compose files"; exit 1; }
versions=$(facts versions) || exit 1

ok() { if "$@"; then echo 1; else echo 0; fi; }
rule R001 warn "compose config has expected version" \
  "$(ok test -z "$(cut -f2 <<<"$versions" | grep -vx '3.8')")" "set version: \"3.8\""
rule R002 warn "healthcheck enabled for all services" \
  "$(ok test -z "$(cut -f3 <<<"$services" | grep -vx yes)")" "add a healthcheck"
rule R003 warn "all images use a tag" \
  "$(ok test -z "$(cut -f2 <<<"$services" | grep -v ':[^/]*$')")" "tag every image"
rule R004 warn "no unstable tags" \
  "$(ok test -z "$(cut -f2 <<<"$services" | grep -E ':(latest|main|master)$')")" "pin a version"
rule R008 error ".env.sample provided" "$(ok test -f "$dir/.env.sample")" "add .env.sample"
rule R009 error "one service named 'app'" "$(ok grep -qx app < <(cut -f1 <<<"$services"))" \
  "name the main service app"
rule R010 error "traefik routing enabled" "$(ok grep -qx yes < <(cut -f4 <<<"$services"))" \
  "add traefik.enable=true"
rule R011 error "all services have images" \
  "$(ok test -z "$(cut -f2 <<<"$services" | grep -x '')")" "give every service an image"
rule R014 error "only annotated tags used for recipe" \
  "$(ok test -z "$(git -C "$dir" for-each-ref refs/tags --format '%(objecttype)' | grep -vx tag)")" \
  "git tag -a"

echo "┏━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓"
printf '┃ %-4s ┃ %-40s ┃ %-8s ┃ %-9s ┃ %-7s ┃ %-30s ┃\n' REF RULE SEVERITY SATISFIED SKIPPED RESOLVE
printf '%s\n' "${rows[@]}"
echo "┗━━━━━━┻━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┻━━━━━━━━━━┻━━━━━━━━━━━┻━━━━━━━━━┻━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛"
