#!/bin/bash
# bench/lifecycle.sh — side-by-side cost of the container lifecycle beyond one `run`: sangja,
# crun and runc driven the way containerd drives them, `list` as containers pile up, and
# creates in parallel.
#
#   bash bench/lifecycle.sh [-n ROUNDS] [-N LIST_SIZES] [-P PARALLEL_TOTAL] [-j PARALLEL_WIDTH]
#
#   -n ROUNDS          create+start+delete rounds (default 200); each round does every runtime once
#   -N LIST_SIZES      how many created containers `list` is timed at (default "0 100 1000")
#   -P PARALLEL_TOTAL  creates in the parallel batch (default 100)
#   -j PARALLEL_WIDTH  creates (and deletes) running at a time in that batch (default 16)
#   SANGJA             path of the sangja binary (default: build/sangja in this repo); measured
#                      only when it exists and a check run shows it really runs a container
#
# Output: one Markdown report, three tables, on stdout and in bench/results/lifecycle-latest.md
# (every timed command in lifecycle-latest.tsv). Needs root. See bench/README.md.
set -euo pipefail

# lib.sh also sets REPO, AGENT_SRC, BUNDLE_HELPER and RESULTS_DIR.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SANGJA=${SANGJA:-$REPO/build/sangja}

ROUNDS=200
LIST_SIZES='0 100 1000'
PAR_TOTAL=100
PAR_WIDTH=16
RUN_TIMEOUT=60 # seconds; a runtime command still going then is killed and counted as failed
LIST_RUNS=20   # timed `list` (and `state`) runs at each size
LIST_WIDTH=4   # creates/deletes at a time while filling or emptying a root for the list table
COMMAND_LINE=$(command_line bench/lifecycle.sh "$@")

# Container ids and so cgroup names all start with this, so leftovers can be found and removed.
# The script re-execs itself into the cgroup view with `exec`, so $$ stays the same.
PREFIX=lc$$

TMP=''
# The exec agent (lib.sh): only the "v2" one, the view this script re-execs itself into. Its
# @waitpid request waits (pidfd) for a container's process to exit.
declare -A AGENT_PID=() AGENT_W=() AGENT_R=()
NAMES=()
declare -A BIN=() ROOT=() BUNDLE=() LOG=() OUT=()
NOT_MEASURED=()
ORDER=()
LOAD_BEFORE=''

parse_args() {
  local n sizes=()
  while getopts 'n:N:P:j:h' opt; do
    case $opt in
      n) ROUNDS=$OPTARG ;;
      N) LIST_SIZES=$OPTARG ;;
      P) PAR_TOTAL=$OPTARG ;;
      j) PAR_WIDTH=$OPTARG ;;
      *) usage "${BASH_SOURCE[0]}" 16 ;;
    esac
  done
  want_positive -n "$ROUNDS"
  want_positive -P "$PAR_TOTAL"
  want_positive -j "$PAR_WIDTH"
  read -r -a sizes <<<"$LIST_SIZES"
  ((${#sizes[@]} > 0)) || die "-N wants at least one size"
  for n in "${sizes[@]}"; do
    [[ $n =~ ^(0|[1-9][0-9]*)$ ]] || die "-N wants non-negative integers, got '$n'"
  done
  # Ascending and unique: the list table grows one set of containers from size to size.
  LIST_SIZES=$(printf '%s\n' "${sizes[@]}" | sort -nu | tr '\n' ' ')
  LIST_SIZES=${LIST_SIZES% }
}

# --- setup ---------------------------------------------------------------------------------

make_dirs() {
  mkdir -p "$TMP/logs" "$TMP/pids" "$TMP/state" "$TMP/bundles" "$TMP/batch"
  : >"$TMP/raw.tsv"
}

# add_runtime NAME BIN — each runtime gets its own bundle copy, --root, --log and output file.
add_runtime() {
  local name=$1
  NAMES+=("$name")
  BIN[$name]=$2
  ROOT[$name]=$TMP/state/$name
  BUNDLE[$name]=$TMP/bundles/$name
  LOG[$name]=$TMP/logs/$name.log.json
  OUT[$name]=$TMP/logs/$name.out
  mkdir -p "${ROOT[$name]}"
  cp -a "$TMP/base" "${BUNDLE[$name]}"
}

define_runtimes() {
  if [[ -x $SANGJA ]]; then
    add_runtime sangja "$SANGJA"
  else
    NOT_MEASURED+=("sangja: no executable at $SANGJA")
  fi
  add_runtime crun "$(command -v crun)"
  add_runtime runc "$(command -v runc)"
}

# One create or delete of a parallel batch, run by xargs: a wrapper, so that every command gets
# its own output file, a timeout (a hung runtime must not hang the batch) and, when it fails,
# its first error line in DIR/failed-OP. The same wrapper is in every runtime's batch.
write_batch_helper() {
  cat >"$TMP/one.sh" <<'EOF'
# one.sh OP RUNTIME ROOT BUNDLE DIR TIMEOUT ID
op=$1 rt=$2 root=$3 bundle=$4 dir=$5 limit=$6 id=$7
case $op in
  create) set -- create --bundle "$bundle" "$id" ;;
  delete) set -- delete --force "$id" ;;
  *) exit 2 ;;
esac
# Output to a file, never a pipe: a created container keeps the runtime's stdout open.
out=$dir/$id.$op
if ! timeout -k 5 "$limit" "$rt" --root "$root" "$@" </dev/null >"$out" 2>&1; then
  line=$(grep -a -i -m 1 'error\|fail' "$out" || head -n 1 "$out")
  echo "$id: ${line:-exit status only, no output}" >>"$dir/failed-$op"
fi
exit 0
EOF
}

# --- helpers -------------------------------------------------------------------------------

# Untimed, best effort: whatever is left of container ID of runtime NAME goes.
force_delete() {
  "${BIN[$1]}" --root "${ROOT[$1]}" delete --force "$2" </dev/null >>"${OUT[$1]}" 2>&1 || true
}

# How many containers `list` shows in NAME's root.
count_listed() {
  { "${BIN[$1]}" --root "${ROOT[$1]}" list --quiet 2>>"${OUT[$1]}" </dev/null || true; } |
    awk 'NF { c++ } END { print c + 0 }'
}

# Container state dirs and cgroups still named after PREFIX-NAME (NAME: a runtime, or '' for
# all). Prints "none" or what is left.
leftovers() {
  local pat=$PREFIX-${1:+$1-} dirs=0 cgs name d
  for name in "${NAMES[@]}"; do
    for d in "${ROOT[$name]}/$pat"*; do [[ -e $d ]] && dirs=$((dirs + 1)); done
  done
  cgs=$(cgroups_named "$pat" | wc -l)
  if ((dirs + cgs == 0)); then echo none; else echo "$dirs state dirs, $cgs cgroups"; fi
}

# batch OP NAME IDFILE WIDTH — OP (create|delete) for every id in IDFILE, WIDTH at a time, with
# xargs. Sets BATCH_US (wall time of the whole batch), BATCH_FAILED and BATCH_DIR.
batch() {
  local op=$1 name=$2 ids=$3 width=$4 t0 t1
  BATCH_DIR=$TMP/batch/$name
  mkdir -p "$BATCH_DIR"
  : >"$BATCH_DIR/failed-$op"
  t0=$EPOCHREALTIME
  without_agent_fds xargs -a "$ids" -r -P "$width" -n 1 sh "$TMP/one.sh" "$op" "${BIN[$name]}" \
    "${ROOT[$name]}" "${BUNDLE[$name]}" "$BATCH_DIR" "$RUN_TIMEOUT" </dev/null || true
  t1=$EPOCHREALTIME
  BATCH_US=$((${t1/./} - ${t0/./}))
  BATCH_FAILED=$(wc -l <"$BATCH_DIR/failed-$op")
}

# The lines under every table: what ran, where, and how busy the machine was.
meta_lines() {
  local name versions=''
  for name in "${NAMES[@]}"; do versions+="${versions:+, }$(version_of "${BIN[$name]}")"; done
  for name in "${NOT_MEASURED[@]}"; do echo "- not measured: $name"; done
  meta_line "$COMMAND_LINE" "$versions" "$LOAD_BEFORE"
}

# by_runtime TITLE FN — a table measured one runtime at a time: notes TITLE, takes the load
# before, then runs FN NAME for every runtime in a seeded shuffled order.
by_runtime() {
  local name
  note "$1"
  LOAD_BEFORE=$(load_now)
  RANDOM=42
  shuffle_into ORDER "${NAMES[@]}"
  for name in "${ORDER[@]}"; do "$2" "$name"; done
}

# --- table 1: create + start + delete, as containerd drives them -----------------------------

# cycle NAME ID BUNDLE OUTFILE ROUND — one container's life with containerd's flags: timed create
# (--pid-file), timed start, an untimed wait until its process has exited (containerd waits
# for the exit event before it deletes), timed delete. Appends the commands to raw.tsv; sets
# CYCLE_FAIL ('' when all went well).
cycle() {
  local name=$1 id=$2 bundle=$3 out=$4 round=$5 pidfile=$TMP/pids/$2.pid pid='' step
  local -a rt=("${BIN[$name]}" --root "${ROOT[$name]}" --log "${LOG[$name]}" --log-format json)
  CYCLE_FAIL=''
  for step in create start wait delete; do
    case $step in
      create) timed_run v2 "$out" "${rt[@]}" create --bundle "$bundle" --pid-file "$pidfile" "$id" ;;
      start) timed_run v2 "$out" "${rt[@]}" start "$id" ;;
      wait)
        # runc writes the pid without a newline: read fails at EOF but still sets pid.
        read -r pid <"$pidfile" || true
        timed_run v2 "$out" @waitpid "${pid:-none}"
        ;;
      delete) timed_run v2 "$out" "${rt[@]}" delete "$id" ;;
    esac
    printf 'cycle\t%s\t%s\t%s\t%d\t%d\n' "$name" "$round" "$step" "$STATUS" "$WALL_NS" >>"$TMP/raw.tsv"
    if ((STATUS != 0)); then
      CYCLE_FAIL="$step exited $STATUS: $(grep -av '^bench-check:' "$out" | tail -n 1 || true)"
      force_delete "$name" "$id"
      break
    fi
  done
  rm -f "$pidfile"
  [[ -z $CYCLE_FAIL ]]
}

# Proves a runtime really runs a container (exit 0 alone proves nothing): the check bundle
# prints its pid and hostname, which must be 1 (own pid namespace) and the config's hostname
# (own UTS namespace). Then one warm-up cycle. Both untimed. sangja is only measured when both
# pass; crun and runc are measured regardless (their failures get counted) with a warning.
check_runtimes() {
  local name log want got msg
  want=$(check_line "$TMP/check")
  for name in "${NAMES[@]}"; do
    log=$TMP/logs/$name.check.out
    msg=''
    if cycle "$name" "$PREFIX-$name-check" "$TMP/check" "$log" check; then
      got=$(grep -a -m 1 '^bench-check:' "$log" || true)
      [[ $got == "$want" ]] || msg="check container printed '${got:-nothing}' instead of '$want'"
    else
      msg="check cycle failed: $CYCLE_FAIL"
    fi
    if [[ -z $msg ]] && ! cycle "$name" "$PREFIX-$name-warmup" "${BUNDLE[$name]}" "${OUT[$name]}" warmup; then
      msg="warm-up cycle failed: $CYCLE_FAIL"
    fi
    [[ -n $msg ]] || continue
    if [[ $name == sangja ]]; then
      NOT_MEASURED+=("sangja: $msg")
      drop_from NAMES sangja
    else
      note "warning: $name: $msg; measuring anyway"
    fi
  done
  # The check and warm-up rows are not part of the numbers.
  sed -i '/\t\(check\|warmup\)\t/d' "$TMP/raw.tsv"
}

# Interleaved rounds, the runtimes in an order shuffled anew each round (seeded, so reruns
# repeat it), as in run.sh: cgroup and mount teardown finish asynchronously in the kernel, so a
# fixed order would have each runtime always pay for the same neighbour's leftovers.
cycle_rounds() {
  local i name
  RANDOM=42
  for ((i = 0; i < ROUNDS; i++)); do
    shuffle_into ORDER "${NAMES[@]}"
    for name in "${ORDER[@]}"; do
      cycle "$name" "$PREFIX-$name-$i" "${BUNDLE[$name]}" "${OUT[$name]}" "$i" ||
        echo "$name, round $i: $CYCLE_FAIL" >>"$TMP/cycle-failures"
    done
    (((i + 1) % 10 == 0 || i + 1 == ROUNDS)) && printf '\rround %d/%d' $((i + 1)) "$ROUNDS" >&2
  done
  echo >&2
}

# Per runtime: "create start delete" ns of every fully successful round.
ok_cycles() {
  awk -F'\t' -v r="$1" '$1 == "cycle" && $2 == r {
      n[$3]++; bad[$3] += ($5 != 0); v[$3, $4] = $6
    }
    END { for (k in n) if (n[k] == 4 && !bad[k]) print v[k, "create"], v[k, "start"], v[k, "delete"] }' \
    "$TMP/raw.tsv"
}

cycle_table() {
  local name med p90 col total failed cells
  note "table 1: create + start + delete, $ROUNDS rounds"
  LOAD_BEFORE=$(load_now)
  check_runtimes
  cycle_rounds
  {
    echo "## create + start + delete, as containerd drives them"
    echo
    echo "| runtime | create ms | start ms | delete ms | create+start+delete ms | failed rounds |"
    echo "|---|--:|--:|--:|--:|--:|"
    for name in "${NAMES[@]}"; do
      cells=''
      for col in 1 2 3 4; do
        read -r med _ p90 < <(ok_cycles "$name" |
          awk -v c="$col" '{ print (c == 4 ? $1 + $2 + $3 : $c) / 1e6 }' | summarize %.2f)
        cells+=" $med / $p90 |"
      done
      total=$(awk -F'\t' -v r="$name" '$1 == "cycle" && $2 == r { print $3 }' "$TMP/raw.tsv" |
        sort -u | wc -l)
      failed=$((total - $(ok_cycles "$name" | wc -l)))
      echo "| $name |$cells $failed / $total |"
    done
    echo
    meta_lines
    echo "- Cells: median / p90 (nearest rank) ms over the fully successful rounds; $ROUNDS" \
      "interleaved rounds (seeded shuffle) after one check and one warm-up cycle per runtime."
    echo "- Each round, per runtime, with a fresh ID: \`RUNTIME --root R --log L --log-format json" \
      "create --bundle B --pid-file P ID\`, then \`... start ID\`, then (untimed) a wait on the" \
      "pid from P until the container's /bin/true has exited, then \`... delete ID\`. Each" \
      "command is timed from spawn to reap by bench/exec-agent.c. Bundle: busybox rootfs," \
      "\`runc spec\` defaults with terminal off, args /bin/true, no device rules."
    echo "- Failed round: any of the four steps exited non-zero (the container is then" \
      "force-deleted); its numbers are left out."
    [[ ! -s $TMP/cycle-failures ]] || echo "- First failure: $(head -n 1 "$TMP/cycle-failures")"
    echo
  } >>"$TMP/report.md"
}

# --- table 2: list at N containers -----------------------------------------------------------

# One runtime at a time (runc's waiting init is a ~8 MB Go process; 1000 of them per runtime
# is enough): its root grows from size to size by creating (never starting) containers, LIST_WIDTH
# at a time; at each size `list` (and, when there are containers, `state` of the first one) is
# timed LIST_RUNS times, after `list` has shown exactly that many. Then all of them are deleted.
list_one_runtime() {
  local name=$1 have=0 size k ids=$TMP/batch/$1.list-ids listed one=$PREFIX-$1-l0
  : >"$ids"
  for size in $LIST_SIZES; do
    if ((size > have)); then
      for ((k = have; k < size; k++)); do echo "$PREFIX-$name-l$k"; done >"$ids.new"
      batch create "$name" "$ids.new" "$LIST_WIDTH"
      cat "$ids.new" >>"$ids"
      note "$name: $size containers: $((size - have)) created in $((BATCH_US / 1000)) ms," \
        "$BATCH_FAILED failed"
      [[ $BATCH_FAILED == 0 ]] || LIST_NOTES+=("$name: $(head -n 1 "$BATCH_DIR/failed-create")")
      have=$size
    fi
    listed=$(count_listed "$name")
    LISTED[$name,$size]=$listed
    if ((listed != size)); then
      note "warning: $name: list shows $listed containers, not $size"
    fi
    for ((k = 0; k < LIST_RUNS; k++)); do
      timed_run v2 /dev/null "${BIN[$name]}" --root "${ROOT[$name]}" list
      printf 'list\t%s\t%s\tlist\t%d\t%d\n' "$name" "$size" "$STATUS" "$WALL_NS" >>"$TMP/raw.tsv"
      ((size > 0)) || continue
      timed_run v2 /dev/null "${BIN[$name]}" --root "${ROOT[$name]}" state "$one"
      printf 'list\t%s\t%s\tstate\t%d\t%d\n' "$name" "$size" "$STATUS" "$WALL_NS" >>"$TMP/raw.tsv"
    done
  done
  if ((have > 0)); then
    batch delete "$name" "$ids" "$LIST_WIDTH"
    note "$name: $have containers deleted in $((BATCH_US / 1000)) ms, $BATCH_FAILED failed"
    [[ $BATCH_FAILED == 0 ]] || LIST_NOTES+=("$name: $(head -n 1 "$BATCH_DIR/failed-delete")")
  fi
  k=$(leftovers "$name")
  [[ $k == none ]] || LIST_NOTES+=("$name: left behind after delete --force: $k")
}

# "median / p90" of the successful OP runs of NAME at SIZE, with a note if any failed.
list_cell() {
  local name=$1 size=$2 op=$3 med p90 bad
  read -r med _ p90 < <(awk -F'\t' -v r="$name" -v s="$size" -v o="$op" \
    '$1 == "list" && $2 == r && $3 == s && $4 == o && $5 == 0 { print $6 / 1e6 }' "$TMP/raw.tsv" |
    summarize %.2f)
  bad=$(awk -F'\t' -v r="$name" -v s="$size" -v o="$op" \
    '$1 == "list" && $2 == r && $3 == s && $4 == o && $5 != 0' "$TMP/raw.tsv" | wc -l)
  if [[ $op == state ]]; then printf '%s' "$med"; else printf '%s / %s' "$med" "$p90"; fi
  ((bad == 0)) || printf ' (%d failed)' "$bad"
  [[ $op == state || ${LISTED[$name,$size]} == "$size" ]] || printf ' (%s listed)' "${LISTED[$name,$size]}"
}

list_table() {
  local name size max=${LIST_SIZES##* } line
  declare -gA LISTED=()
  LIST_NOTES=()
  by_runtime "table 2: list at $LIST_SIZES containers" list_one_runtime
  {
    echo "## list at N created containers"
    echo
    line="| runtime |"
    for size in $LIST_SIZES; do line+=" list@$size ms |"; done
    ((max == 0)) || line+=" state@$max ms |"
    echo "$line"
    line="|---|"
    for size in $LIST_SIZES; do line+="--:|"; done
    ((max == 0)) || line+="--:|"
    echo "$line"
    for name in "${NAMES[@]}"; do
      line="| $name |"
      for size in $LIST_SIZES; do line+=" $(list_cell "$name" "$size" list) |"; done
      ((max == 0)) || line+=" $(list_cell "$name" "$max" state) |"
      echo "$line"
    done
    echo
    meta_lines
    echo "- list@N: \`RUNTIME --root R list\` (output to /dev/null) with N containers in R," \
      "median / p90 ms over $LIST_RUNS runs; state@$max: \`RUNTIME --root R state ID\` of one of" \
      "them, median ms over $LIST_RUNS runs. Timed by bench/exec-agent.c."
    echo "- One runtime at a time, in a seeded shuffled order. Its root grows from size to size:" \
      "\`RUNTIME --root R create --bundle B ID\` (created, never started; the run.sh bundle)," \
      "$LIST_WIDTH at a time; \`list --quiet\` must show exactly N before timing. Then every" \
      "container is deleted with \`delete --force\`."
    for line in "${LIST_NOTES[@]}"; do echo "- $line"; done
    echo
  } >>"$TMP/report.md"
}

# --- table 3: parallel creates ---------------------------------------------------------------

# PAR_TOTAL creates of distinct ids, PAR_WIDTH at a time; `list` must then show exactly the
# successful ones; then all of them are deleted the same way (timed too) and nothing may be
# left: no state dir, no cgroup with the runtime's id prefix.
parallel_one_runtime() {
  local name=$1 k ids=$TMP/batch/$1.par-ids ok listed match dels_ok left
  for ((k = 0; k < PAR_TOTAL; k++)); do echo "$PREFIX-$name-p$k"; done >"$ids"
  batch create "$name" "$ids" "$PAR_WIDTH"
  ok=$((PAR_TOTAL - BATCH_FAILED))
  PAR_ROW[$name]="$(awk -v n="$ok" -v us="$BATCH_US" 'BEGIN { printf "%.1f | %.2f", n / (us / 1e6), us / 1e6 }') | $BATCH_FAILED / $PAR_TOTAL"
  [[ $BATCH_FAILED == 0 ]] || PAR_NOTES+=("$name: $(head -n 1 "$BATCH_DIR/failed-create")")
  note "$name: $PAR_TOTAL creates, $PAR_WIDTH at a time: $((BATCH_US / 1000)) ms, $BATCH_FAILED failed"
  # `list` must show the ids whose create succeeded, no more, no fewer.
  { "${BIN[$name]}" --root "${ROOT[$name]}" list --quiet 2>>"${OUT[$name]}" </dev/null || true; } |
    awk 'NF' | sort >"$ids.listed"
  grep -vxF -f <(sed 's/:.*//' "$BATCH_DIR/failed-create") "$ids" | sort >"$ids.ok" || true
  listed=$(wc -l <"$ids.listed")
  if cmp -s "$ids.ok" "$ids.listed"; then match="yes ($listed)"; else match="**no** ($listed listed, $ok created)"; fi
  batch delete "$name" "$ids.listed" "$PAR_WIDTH"
  dels_ok=$((listed - BATCH_FAILED))
  PAR_ROW[$name]+=" | $match | $(awk -v n="$dels_ok" -v us="$BATCH_US" 'BEGIN { printf "%.1f | %.2f", (us > 0 ? n / (us / 1e6) : 0), us / 1e6 }') | $BATCH_FAILED / $listed"
  [[ $BATCH_FAILED == 0 ]] || PAR_NOTES+=("$name: $(head -n 1 "$BATCH_DIR/failed-delete")")
  note "$name: $listed deletes, $PAR_WIDTH at a time: $((BATCH_US / 1000)) ms, $BATCH_FAILED failed"
  # A failed create may have left part of a container; that is cleaned up (untimed) first, but
  # what the timed deletes left is checked before.
  left=$(leftovers "$name")
  while IFS= read -r k; do force_delete "$name" "${k%%:*}"; done <"$BATCH_DIR/failed-create"
  PAR_ROW[$name]+=" | $left |"
}

parallel_table() {
  local name
  declare -gA PAR_ROW=()
  PAR_NOTES=()
  by_runtime "table 3: $PAR_TOTAL parallel creates, $PAR_WIDTH at a time" parallel_one_runtime
  {
    echo "## $PAR_TOTAL creates, $PAR_WIDTH at a time"
    echo
    echo "| runtime | creates/s | create batch s | failed creates | list = created |" \
      "deletes/s | delete batch s | failed deletes | left after deletes |"
    echo "|---|--:|--:|--:|---|--:|--:|--:|---|"
    for name in "${NAMES[@]}"; do echo "| $name | ${PAR_ROW[$name]}"; done
    echo
    meta_lines
    echo "- Per runtime (one at a time, seeded shuffled order): $PAR_TOTAL" \
      "\`RUNTIME --root R create --bundle B ID\` with distinct IDs, $PAR_WIDTH at a time" \
      "(xargs -P, each command in a small sh wrapper with \`timeout $RUN_TIMEOUT\`, the same for" \
      "every runtime); creates/s = successful creates / wall time of the whole batch. Then" \
      "\`list --quiet\` must show exactly the successful IDs; then \`delete --force\` of each" \
      "listed one, $PAR_WIDTH at a time, timed the same way. \"left\": state dirs in R and" \
      "cgroups under /sys/fs/cgroup named after the runtime's ID prefix."
    if ((${#PAR_NOTES[@]} > 0)); then
      echo "- First failure: ${PAR_NOTES[0]} (every failure's first error line is in" \
        "the run's batch/*/failed-* files)"
    fi
    echo
  } >>"$TMP/report.md"
}

# --- clean-up ------------------------------------------------------------------------------

# cleanup's LEFTOVERS (lib.sh): deletes every container still in a state root (a run cut short
# can leave up to the largest list size per runtime, so in parallel), then removes empty cgroups
# left under our prefix.
remove_leftovers() {
  local name dir found=0
  for name in "${NAMES[@]}"; do
    [[ -d ${ROOT[$name]} ]] || continue
    for dir in "${ROOT[$name]}/$PREFIX"-*; do
      [[ -e $dir ]] && echo "${dir##*/}"
    done >"$TMP/leftover-ids"
    [[ -s $TMP/leftover-ids ]] || continue
    found=1
    xargs -a "$TMP/leftover-ids" -P 8 -n 1 "${BIN[$name]}" --root "${ROOT[$name]}" delete --force \
      </dev/null >>"${OUT[$name]}" 2>&1 || true
  done
  ((found)) && note "warning: containers were left in a state dir and have been deleted"
  remove_leftover_cgroups "$PREFIX-"
}

write_report() {
  {
    echo "# Container lifecycle: ${NAMES[*]}"
    echo
    cat "$TMP/report.md"
  } >"$TMP/lifecycle.md"
  cat "$TMP/lifecycle.md"
  save_results "$TMP/lifecycle.md" lifecycle-latest "$TMP/raw.tsv" \
    $'table\truntime\tround_or_size\tcommand\tstatus\twall_ns'
}

main() {
  parse_args "$@"
  ((EUID == 0)) || die "needs root"
  install_deps
  enter_v2_view "${BASH_SOURCE[0]}" "$@"
  local t0=$SECONDS
  note "container ids and cgroups of this run start with $PREFIX-"
  make_tmp /tmp/sangja-lifecycle.XXXXXX remove_leftovers
  make_dirs
  compile_agent "$AGENT_SRC" "$TMP/exec-agent"
  [[ -f $BUNDLE_HELPER ]] || die "bundle helper not found: $BUNDLE_HELPER"
  build_bundles "$BUNDLE_HELPER" "$TMP/base" "$TMP/check"
  write_batch_helper
  define_runtimes
  : >"$TMP/report.md"
  cycle_table
  list_table
  parallel_table
  stop_agents
  write_report
  note "done in $((SECONDS - t0)) s; leftovers: $(leftovers '')"
}

main "$@"
