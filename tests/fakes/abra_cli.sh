# Command-line parsing as abra's CLI library (cobra) does it, for the fake abra
# (tests/fakes/bin/abra) and the real-swarm stand-in (tests/swarm/abra). Source it.
#
# cobra_parse "ALLOWED" ARGS...
#   ALLOWED lists the command's own flags, space separated; a flag that takes a value ends in
#   '=' (--server=); a short form follows its long form (--server= -s=). abra's global flags
#   (--debug -d --no-input -n --offline -o --help -h) are always allowed.
#   Like cobra: flags may come before, between or after the positional arguments, a value may
#   be given as --flag VALUE or --flag=VALUE, `--` ends the flags (everything after it is
#   positional, even if it starts with '-'), and an unknown flag is refused with
#   "Error: unknown flag: --x" and exit 1. With --help (or -h) it lists the flags and exits 0.
#   Combined short flags (-fn) are not supported.
# Results: POS (array of positional arguments) and FLAG (associative array: long name ->
# value, or 1 for a switch), e.g. ${FLAG[--server]}.
declare -a POS
declare -A FLAG

cobra_parse() {
  local allowed=" $1 --debug -d --no-input -n --offline -o --help -h "
  shift
  POS=()
  FLAG=()
  local a name value long prev
  for a in "$@"; do
    [[ "$a" == "--" ]] && break
    if [[ "$a" == "--help" || "$a" == "-h" ]]; then  # cobra lists the command's flags
      echo "Flags:"
      for name in $allowed; do echo "      ${name%=}"; done
      exit 0
    fi
  done
  while [ $# -gt 0 ]; do
    a="$1"
    shift
    if [[ "$a" == "--" ]]; then
      POS+=("$@")
      return 0
    fi
    if [[ "$a" != -* || "$a" == "-" ]]; then
      POS+=("$a")
      continue
    fi
    name="${a%%=*}"
    value=""
    [[ "$a" == *=* ]] && value="${a#*=}"
    if [[ "$allowed" == *" $name= "* ]]; then
      if [[ "$a" != *=* ]]; then
        [ $# -gt 0 ] || { echo "Error: flag needs an argument: $name"; exit 1; }
        value="$1"
        shift
      fi
    elif [[ "$allowed" == *" $name "* && "$a" != *=* ]]; then
      value=1
    else
      echo "Error: unknown flag: $name"
      exit 1
    fi
    long="$name"
    if [[ "$name" != --* ]]; then  # a short form: the long form listed just before it
      prev=""
      for long in $allowed; do
        [[ "${long%=}" == "$name" ]] && { long="${prev%=}"; break; }
        prev="$long"
      done
    fi
    FLAG["$long"]="$value"
  done
}
