#!/usr/bin/env bash
# Run a dustscene target through a real, throw-away, single-node Slurm on this machine and
# check it against a local run of the same config.
#
#   sudo tests/cluster/run_slurm.sh                 # TARGET=mocks, CONFIG=config/ci.yaml
#   TARGET=fits KEEP=1 tests/cluster/run_slurm.sh   # any target; KEEP=1 keeps the temp dir
#
# Needs root (it installs Debian's slurm-wlm + munge when missing and runs slurmd) and the
# executor plugin in .venv. Exit 0: every non-local job went through sbatch, finished
# COMPLETED with exit 0, and the results are byte-identical to the local run.
# Exit 77: cannot run here (not root / no apt-get / no plugin); pytest turns that into a skip.
# All daemons this script starts are stopped by PID (reverse order, SIGKILL after a timeout)
# in an EXIT trap, whatever happens.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${TARGET:-mocks}
CONFIG=${CONFIG:-$REPO/config/ci.yaml}
PROFILE=${PROFILE:-$REPO/profiles/slurm}
SNAKEMAKE=${SNAKEMAKE:-$REPO/.venv/bin/snakemake}
CPUS=${CPUS:-2}
REAL_MEM_MB=${REAL_MEM_MB:-20000}
SNAKEMAKE_TIMEOUT=${SNAKEMAKE_TIMEOUT:-900}
KEEP=${KEEP:-0}
# Every file under results/ is compared byte for byte except those matching EXCLUDE_RE: logs,
# benchmarks and figures (PDF/PNG carry timestamps and renderer details).
EXCLUDE_RE=${EXCLUDE_RE:-'^results/(logs|benchmarks)/|\.(pdf|png)$'}

skip() { echo "SKIP: $*" >&2; exit 77; }
log() { echo "[run_slurm $(date +%T)] $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (installs slurm-wlm/munge, runs slurmd)"
[ -x "$SNAKEMAKE" ] || skip "no snakemake at $SNAKEMAKE (run make install)"
"$(dirname "$SNAKEMAKE")/python" -c 'import snakemake_executor_plugin_slurm' 2>/dev/null \
  || skip "snakemake-executor-plugin-slurm is not installed in $(dirname "$SNAKEMAKE")/.."

T0=$(date +%s)
TMP=$(mktemp -d /tmp/dustscene-slurm.XXXXXX)
chmod 755 "$TMP"
PIDS=()           # daemons we started, in start order
MUNGE_STARTED=0

stop_pid() {  # stop_pid PID NAME: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.2; done
  echo "[run_slurm] $name ($pid) ignored SIGTERM: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i entry
  set +e
  if [ -n "${SM_PID:-}" ]; then stop_pid "$SM_PID" snakemake; fi
  if [ -f "$TMP/slurm.conf" ] && [ ${#PIDS[@]} -gt 0 ]; then
    SLURM_CONF=$TMP/slurm.conf timeout 10 scancel --full --quiet -u "$(id -un)" 2>/dev/null
  fi
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    entry=${PIDS[$i]}
    stop_pid "${entry%%:*}" "${entry#*:}"
  done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    echo "---- slurmctld.log (tail) ----" >&2; tail -n 30 "$TMP/log/slurmctld.log" >&2 2>/dev/null
    echo "---- slurmd.log (tail) ----" >&2; tail -n 30 "$TMP/log/slurmd.log" >&2 2>/dev/null
    echo "---- snakemake slurm run (tail) ----" >&2; tail -n 60 "$TMP/snakemake-slurm.log" >&2 2>/dev/null
  fi
  if [ "$KEEP" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
    echo "[run_slurm] kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. packages -------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
   || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || skip "slurm is not installed and there is no apt-get"
  log "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >"$TMP/apt.log" 2>&1 || { tail -20 "$TMP/apt.log" >&2; exit 1; }
fi
log "slurm $(slurmctld -V 2>&1 | awk '{print $2}')"

# ---- 2. munge (reuse a working one, else start ours) --------------------------------------
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged already running: reusing it"
else
  [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f; }
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge -m 755 /run/munge
  install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
  runuser -u munge -- /usr/sbin/munged --foreground >"$TMP/munged.out" 2>&1 &
  PIDS+=("$!:munged"); MUNGE_STARTED=1
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || { echo "munged did not come up" >&2; exit 1; }
  log "munged started (pid ${PIDS[-1]%%:*})"
fi

# ---- 3. slurm.conf in the temp dir --------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CTLD_PORT=$(free_port); SLURMD_PORT=$(free_port)
while [ "$SLURMD_PORT" = "$CTLD_PORT" ]; do SLURMD_PORT=$(free_port); done
NODE=$(hostname -s)
mkdir -p "$TMP/state" "$TMP/spool" "$TMP/log" "$TMP/run"
cat >"$TMP/slurm.conf" <<EOF
ClusterName=dustscene-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/run/slurmctld.pid
SlurmdPidFile=$TMP/run/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=300
ReturnToService=2
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REAL_MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$TMP/slurm.conf

# ---- 4. daemons ---------------------------------------------------------------------------
slurmctld -D -f "$SLURM_CONF" >"$TMP/log/slurmctld.out" 2>&1 &
PIDS+=("$!:slurmctld")
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping | grep -q UP || { echo "slurmctld did not come up" >&2; exit 1; }
slurmd -D -f "$SLURM_CONF" >"$TMP/log/slurmd.out" 2>&1 &
PIDS+=("$!:slurmd")
state=""
for _ in $(seq 1 150); do
  state=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break; sleep 0.2
done
[ "$state" = idle ] || { echo "node $NODE is '$state', not idle" >&2; sinfo >&2; exit 1; }
log "slurm up on $NODE: ctld :$CTLD_PORT, slurmd :$SLURMD_PORT ($(( $(date +%s) - T0 )) s so far)"
sinfo

# ---- 5. the local reference run -----------------------------------------------------------
t=$(date +%s)
log "local run: snakemake $TARGET --workflow-profile none --cores $CPUS"
set +e
"$SNAKEMAKE" -s "$REPO/Snakefile" "$TARGET" --configfile "$CONFIG" --directory "$TMP/localrun" \
  --workflow-profile none --cores "$CPUS" >"$TMP/snakemake-local.log" 2>&1 &
SM_PID=$!   # in the background so that a signal reaches the traps at once
wait "$SM_PID"; rc=$?
SM_PID=""
set -e
[ "$rc" -eq 0 ] || { tail -40 "$TMP/snakemake-local.log" >&2; echo "local run failed" >&2; exit 1; }
log "local run done in $(( $(date +%s) - t )) s"

# ---- 6. the Slurm run ---------------------------------------------------------------------
# Inside a job, snakemake-executor-plugin-slurm-jobstep (>= 0.6) strips every SLURM_* variable,
# SLURM_CONF included, before its nested `srun`. A real cluster keeps slurm.conf at the
# default path (or runs configless), so that is harmless there; this throw-away cluster keeps
# it in $TMP, so put a one-line `srun` on PATH that points the real srun at it.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$SLURM_CONF" "$(command -v srun)" >"$TMP/bin/srun"
chmod 755 "$TMP/bin/srun"
t=$(date +%s)
log "slurm run: snakemake $TARGET --workflow-profile ${PROFILE#"$REPO"/}"
set +e
PATH="$TMP/bin:$PATH" timeout -k 10 "$SNAKEMAKE_TIMEOUT" "$SNAKEMAKE" -s "$REPO/Snakefile" "$TARGET" \
  --configfile "$CONFIG" --directory "$TMP/slurmrun" --workflow-profile "$PROFILE" \
  --slurm-status-command squeue --slurm-no-account \
  --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs \
  --latency-wait 5 >"$TMP/snakemake-slurm.log" 2>&1 &
SM_PID=$!
wait "$SM_PID"; rc=$?
SM_PID=""
set -e
[ "$rc" -eq 0 ] || { echo "slurm run failed (exit $rc)" >&2; exit 1; }
log "slurm run done in $(( $(date +%s) - t )) s"

# ---- 7. evidence that the jobs went through sbatch ----------------------------------------
mapfile -t JOBIDS < <(grep -oE 'submitted with SLURM jobid [0-9]+' "$TMP/snakemake-slurm.log" | grep -oE '[0-9]+$' | sort -un)
[ "${#JOBIDS[@]}" -gt 0 ] || { echo "no job was submitted to Slurm" >&2; exit 1; }
fail=0
for id in "${JOBIDS[@]}"; do
  line=$(scontrol -o show job "$id" 2>/dev/null || true)
  st=$(grep -oE 'JobState=[A-Z_]+' <<<"$line" | cut -d= -f2)
  ex=$(grep -oE ' ExitCode=[0-9:]+' <<<"$line" | cut -d= -f2)
  cm=$(grep -oE 'Comment=[^ ]+' <<<"$line" | cut -d= -f2)
  printf 'slurm job %s  %-10s exit %-4s %s\n' "$id" "${st:-?}" "${ex:-?}" "${cm:-?}"
  if [ "$st" != COMPLETED ] || [ "$ex" != 0:0 ]; then fail=1; fi
done
[ "$fail" -eq 0 ] || { echo "not every Slurm job COMPLETED with exit 0" >&2; exit 1; }
grep -qE "_slurm_rpc_submit_batch_job: JobId=${JOBIDS[0]} " "$TMP/log/slurmctld.log" \
  || { echo "slurmctld.log does not show job ${JOBIDS[0]} being submitted" >&2; exit 1; }
# Rules declared `localrules` must have run in the Snakemake process, not through sbatch.
mapfile -t LOCALRULES < <(grep -oE '^localrule [A-Za-z0-9_]+' "$TMP/snakemake-slurm.log" | awk '{print $2}' | sort -u)
for r in "${LOCALRULES[@]}"; do
  if scontrol -o show job 2>/dev/null | grep -qE "Comment=rule_${r}( |_wildcards_)"; then
    echo "local rule $r was submitted to Slurm" >&2; exit 1
  fi
done
log "ran locally (localrules): ${LOCALRULES[*]:-none}"
nlogs=$(find "$TMP/slurmrun/.snakemake/slurm_logs" -name '*.log' 2>/dev/null | wc -l)
log "${#JOBIDS[@]} jobs submitted via sbatch, all COMPLETED 0:0; $nlogs Slurm job logs"

# ---- 8. byte equality with the local run --------------------------------------------------
list_files() { (cd "$1" && find results -type f ! -name '*.tmp' | grep -vE "$EXCLUDE_RE" | sort); }
diff <(list_files "$TMP/localrun") <(list_files "$TMP/slurmrun") \
  || { echo "the two runs made different sets of files" >&2; exit 1; }
n=0
while read -r f; do
  cmp "$TMP/localrun/$f" "$TMP/slurmrun/$f" || { echo "differs: $f" >&2; exit 1; }
  n=$((n + 1))
done < <(list_files "$TMP/localrun")
[ "$n" -gt 0 ] || { echo "no file to compare" >&2; exit 1; }
[ -z "$(find "$TMP/slurmrun/results" -name '*.tmp')" ] || { echo "a .tmp file survived" >&2; exit 1; }
log "byte-identical to the local run: $n files ($(list_files "$TMP/localrun" | tr '\n' ' '))"
log "PASS in $(( $(date +%s) - T0 )) s (target $TARGET)"
