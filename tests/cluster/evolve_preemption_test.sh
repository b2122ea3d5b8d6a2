#!/usr/bin/env bash
# Preemption: a run killed with SIGKILL at a random moment inside a generation, with several
# generations between checkpoints, resumes from its run file and journal, takes every result
# the journal holds instead of recomputing it, and ends identical to the uninterrupted run.
# The same under MPI, stopped with SIGTERM (as the Slurm template does before a time limit),
# and with the journal's last record torn. The random kill point is printed for reruns.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/evolve_support.sh"

generations=9
slow="objective.function.seconds_per_evaluation=0.02"
every3="run.checkpoint_interval=3"
write_function_config "$work/run.toml" "$work/whole.h5" $generations
"$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" --set "$every3" > /dev/null
[[ ! -e "$work/whole.h5.journal" ]] || fail "a finished run left its journal"

# Records in a journal (search/run_journal.h): header of 32 bytes, then size + checksum + payload.
journal_records() {
  "$PYTHON" - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
offset, count = 32, 0
while offset + 16 <= len(data):
    size = struct.unpack_from("<Q", data, offset)[0]
    if offset + 16 + size > len(data):
        break
    offset += 16 + size
    count += 1
print(count)
PY
}

# Waits until the journal of a background run holds at least $2 records (the run is then
# inside a stretch of generations since its last checkpoint).
wait_for_records() {
  for _ in $(seq 1 1200); do
    if [[ -f "$1" ]] && (( $(journal_records "$1") >= $2 )); then return 0; fi
    sleep 0.02
  done
  fail "the journal $1 never held $2 records"
}

# Sum of the results a resumed run took from its journal, read from its log.
reused_results() { sed -nE 's/.* ([0-9]+) of [0-9]+ items taken from .*/\1/p' "$1" | awk '{s += $1} END {print s + 0}'; }

seed=${EVOMEM_TEST_SEED:-$RANDOM}
echo "kill point seed: $seed (rerun with EVOMEM_TEST_SEED=$seed)"
RANDOM=$seed
wanted=$((RANDOM % 25 + 1))  # 10 items a generation, 30 between checkpoints
"$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" --set "$every3" \
  --set "run.output=\"$work/killed.h5\"" > /dev/null &
runner=$!
wait_for_records "$work/killed.h5.journal" "$wanted"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
recorded=$(journal_records "$work/killed.h5.journal")
"$evomem" evolve --resume "$work/killed.h5" > /dev/null 2> "$work/killed.log"
reused=$(reused_results "$work/killed.log")
echo "killed after $recorded journaled results (waited for $wanted); the resumed run reused $reused"
(( reused == recorded )) || fail "journal held $recorded results, the resumed run reused $reused: $(cat "$work/killed.log")"
same_run "$work/whole.h5" "$work/killed.h5"
[[ ! -e "$work/killed.h5.journal" ]] || fail "the finished run left its journal"

# A record cut short by the kill is dropped with a warning; the run still ends the same.
"$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" --set "$every3" \
  --set "run.output=\"$work/torn.h5\"" > /dev/null &
runner=$!
wait_for_records "$work/torn.h5.journal" 5
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
truncate -s -7 "$work/torn.h5.journal"
"$evomem" evolve --resume "$work/torn.h5" > /dev/null 2> "$work/torn.log"
grep -q "damaged bytes at the end dropped" "$work/torn.log" || fail "no warning about the torn record: $(cat "$work/torn.log")"
same_run "$work/whole.h5" "$work/torn.h5"

# MPI: SIGTERM to mpirun reaches every rank; the coordinator exits 130 and keeps the journal.
# Two workers evaluate twice as fast: slower items keep the stop inside the run.
read -r -a mpirun <<<"$EVOMEM_MPIRUN"
mpi=("${mpirun[@]}" -np 3)
"${mpi[@]}" "$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" --set "$every3" \
  --set objective.function.seconds_per_evaluation=0.06 \
  --set "run.output=\"$work/mpi.h5\"" > /dev/null 2>&1 &
runner=$!
wait_for_records "$work/mpi.h5.journal" $((RANDOM % 25 + 1))
kill -TERM "$runner"
wait "$runner" 2>/dev/null || true
recorded=$(journal_records "$work/mpi.h5.journal")
"${mpi[@]}" "$evomem" evolve --resume "$work/mpi.h5" > /dev/null 2> "$work/mpi.log"
reused=$(reused_results "$work/mpi.log")
echo "MPI: stopped after $recorded journaled results; the resumed run reused $reused"
(( reused == recorded )) || fail "MPI: journal held $recorded results, the resumed run reused $reused"
same_run "$work/whole.h5" "$work/mpi.h5"
echo "preemption: identical run files after SIGKILL, a torn journal and an MPI SIGTERM"
