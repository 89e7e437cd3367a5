#!/usr/bin/env bash
# slurm-up.sh - start a single-node Slurm cluster (munged + slurmctld + slurmd)
# on this machine, for tests and CI. Idempotent, non-interactive, run as root.
#
# Verified on Debian 12 (bookworm), Slurm 22.05.8, munge 0.5.15, in a gVisor
# sandbox with no systemd and no usable cgroups: daemons are started directly,
# proctrack/linuxproc + task/none, no accounting (sacct does not work; use
# `scontrol show job ID`, which keeps finished jobs for MinJobAge=300 s).
#
# Env knobs:
#   SLURM_PARTITION       partition name (default: debug)
#   SLURM_OVERSUBSCRIBE   e.g. FORCE:4 to run up to 4 jobs per CPU (default: NO,
#                         i.e. at most one 1-CPU job per CPU)
#   SLURM_SCHED_PARAMS    SchedulerParameters (default: batch_sched_delay=0 so a
#                         batch job starts ~immediately instead of up to 3 s later)
#   SLURM_SKIP_SMOKE=1    skip the srun/sbatch smoke test
#   SLURM_NO_INSTALL=1    never call apt-get
#
# Stop with: bash "$(dirname "$0")/slurm-down.sh"
set -euo pipefail

PARTITION=${SLURM_PARTITION:-debug}
OVERSUB=${SLURM_OVERSUBSCRIBE:-NO}
SCHED_PARAMS=${SLURM_SCHED_PARAMS-batch_sched_delay=0}
# GPUs the node declares (a fake gres backed by a harmless character device) so
# that --gres=gpu requests and Slurm's CUDA_VISIBLE_DEVICES binding are testable
# without one. slurmd ignores a File= that is not a character or block device and
# then binds no CUDA_VISIBLE_DEVICES, so a /dev/null that something replaced by a
# plain file (seen on a CI machine) must not be used.
FAKE_GPUS=${SLURM_FAKE_GPUS-1}
FAKE_DEV=""
for d in /dev/null /dev/zero /dev/full; do
  if [ -c "$d" ]; then FAKE_DEV=$d; break; fi
done
if [ -n "$FAKE_GPUS" ] && [ -z "$FAKE_DEV" ]; then
  echo "[slurm-up] no character device among /dev/null /dev/zero /dev/full for the fake GPU" >&2
  exit 1
fi
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "[slurm-up] $*" >&2; }

# ---------------------------------------------------------------- install ---
need_install=0
export PATH="$PATH:/usr/sbin:/sbin"
for b in munged slurmctld slurmd sinfo srun sbatch scontrol; do
  command -v "$b" >/dev/null 2>&1 || need_install=1
done
if [ "$need_install" = 1 ]; then
  if [ "${SLURM_NO_INSTALL:-0}" = 1 ]; then
    log "slurm/munge binaries missing and SLURM_NO_INSTALL=1"; exit 1
  fi
  log "installing slurmctld slurmd slurm-client munge (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

# ------------------------------------------------------------------ munge ---
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile=/etc/munge/munge.key --force
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key

if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged already running"
else
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  munge -n | unmunge >/dev/null
fi

# ------------------------------------------------------------- slurm.conf ---
NODE=$(hostname -s)
# slurmd -C prints "NodeName=x CPUs=.. Boards=.. SocketsPerBoard=.. CoresPerSocket=.. ThreadsPerCore=.. RealMemory=.."
HW=$(slurmd -C | head -n1 | sed -e 's/^NodeName=[^ ]* //')
mkdir -p "$CONF_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" "$RUN_DIR"

NEWCONF=$(mktemp)
cat >"$NEWCONF" <<EOF
# Written by slurm-up.sh: single-node test cluster, loopback only.
ClusterName=flowtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups in this sandbox
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
${SCHED_PARAMS:+SchedulerParameters=$SCHED_PARAMS}
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=512
${FAKE_GPUS:+GresTypes=gpu}
ReturnToService=2
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 $HW ${FAKE_GPUS:+Gres=gpu:fake:$FAKE_GPUS }State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=$OVERSUB
EOF

conf_changed=0
if [ ! -f "$CONF" ] || ! cmp -s "$NEWCONF" "$CONF"; then
  install -m 0644 "$NEWCONF" "$CONF"
  conf_changed=1
  log "wrote $CONF"
fi
rm -f "$NEWCONF"

GRES=$CONF_DIR/gres.conf
NEWGRES=$(mktemp)
if [ -n "$FAKE_GPUS" ]; then
  for i in $(seq 0 $((FAKE_GPUS - 1))); do
    echo "NodeName=$NODE Name=gpu Type=fake File=$FAKE_DEV" >> "$NEWGRES"
  done
fi
if ! cmp -s "$NEWGRES" "$GRES" 2>/dev/null; then
  if [ -s "$NEWGRES" ]; then install -m 0644 "$NEWGRES" "$GRES"; else rm -f "$GRES"; fi
  conf_changed=1
  log "wrote $GRES"
fi
rm -f "$NEWGRES"

# -------------------------------------------------------------- daemons ---
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if [ "$conf_changed" = 1 ] && { alive "$RUN_DIR/slurmctld.pid" || alive "$RUN_DIR/slurmd.pid"; }; then
  log "config changed: restarting slurm daemons"
  bash "$HERE/slurm-down.sh" --keep-munge >/dev/null 2>&1 || true
fi

if alive "$RUN_DIR/slurmctld.pid"; then
  log "slurmctld already running (pid $(cat "$RUN_DIR/slurmctld.pid"))"
else
  log "starting slurmctld"
  /usr/sbin/slurmctld -f "$CONF"
fi
for _ in $(seq 1 100); do
  scontrol ping 2>/dev/null | grep -q 'is UP' && break
  sleep 0.1
done
scontrol ping | grep -q 'is UP' || { log "slurmctld did not come up; see $LOG_DIR/slurmctld.log"; tail -20 "$LOG_DIR/slurmctld.log" >&2; exit 1; }

if alive "$RUN_DIR/slurmd.pid"; then
  log "slurmd already running (pid $(cat "$RUN_DIR/slurmd.pid"))"
else
  log "starting slurmd"
  /usr/sbin/slurmd -f "$CONF"
fi

# Wait until the node is idle (or mixed/allocated if jobs are running).
state=""
for _ in $(seq 1 300); do
  state=$(sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -n1 || true)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|*drained) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.1
done
case "$state" in
  idle|mixed|allocated|completing) log "node $NODE is $state" ;;
  *) log "node $NODE not ready (state '$state'); see $LOG_DIR/slurmd.log"; tail -20 "$LOG_DIR/slurmd.log" >&2; exit 1 ;;
esac

# ----------------------------------------------------------------- smoke ---
if [ "${SLURM_SKIP_SMOKE:-0}" != 1 ]; then
  out=$(srun -N1 -n1 -p "$PARTITION" hostname)
  [ "$out" = "$(hostname)" ] || { log "srun hostname gave '$out'"; exit 1; }
  tmpo=$(mktemp -t slurm-smoke.XXXXXX)
  # 1) sbatch + poll `scontrol show job` (the first batch job after a cold
  #    start waits ~3 s for slurmctld's first scheduling pass)
  jid=$(sbatch --parsable -p "$PARTITION" -o "$tmpo" --wrap 'echo smoke-ok')
  jid=${jid%%;*}
  js=""
  for _ in $(seq 1 600); do
    js=$(scontrol show job "$jid" | tr ' ' '\n' | sed -n 's/^JobState=//p')
    case "$js" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) break ;; esac
    sleep 0.1
  done
  ec=$(scontrol show job "$jid" | tr ' ' '\n' | sed -n 's/^ExitCode=//p')
  [ "$js" = COMPLETED ] && [ "$ec" = "0:0" ] && grep -q smoke-ok "$tmpo" \
    || { log "sbatch smoke job $jid: JobState=$js ExitCode=$ec"; exit 1; }
  rm -f "$tmpo"
  # 2) sbatch --wait (exits with the job's exit code; polls at 2 s, then 10 s)
  sbatch --wait -p "$PARTITION" -o /dev/null --wrap true >/dev/null \
    || { log "sbatch --wait smoke job failed"; exit 1; }
  log "smoke test ok: srun hostname=$out, sbatch job $jid JobState=$js ExitCode=$ec"
fi

cat <<EOF
Slurm is up: cluster=flowtest partition=$PARTITION node=$NODE ($HW)
  slurmctld 127.0.0.1:6817  slurmd 127.0.0.1:6818  conf $CONF  logs $LOG_DIR
  try: sinfo; srun hostname; sbatch --wrap 'echo hi'; scontrol show job <id>
Stop with: bash $HERE/slurm-down.sh
EOF
