"""The workflow on a real SLURM cluster: `snakemake --executor slurm --profile profiles/slurm` on a tiny config.

A single-node cluster is made here: Debian's slurm-wlm and munge are installed when missing (root only),
a slurm.conf with this node's real CPUs and memory (``slurmd -C``) and the partitions named in
profiles/slurm is written, and munged, slurmctld and slurmd are started, then stopped at the end. Daemons
already running with the same slurm.conf (an earlier run) are reused and left running. The node has no
GPU, so the tiny config sets ``resources: {gpu: 0}``; there is no slurmdbd either, so a second profile
switches the plugin's status queries to squeue (MinJobAge keeps finished jobs visible there).

One TF's input file is broken on the first run: its SLURM job fails, Snakemake exits non-zero and names
the failed SLURM job, the other TF completes. After the file is fixed the same command completes the
run, without redoing the finished TF.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PROFILE = "profiles/slurm"
SLURM_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# deepmotif test cluster (tests/test_slurm.py)"
STATE = Path("/var/lib/slurm/deepmotif-test")
LOGS = Path("/var/log/slurm")
PIDFILES = {"slurmctld": Path("/run/slurmctld.pid"), "slurmd": Path("/run/slurmd.pid")}
MUNGE_PID = Path("/run/munge/munged.pid")
TOOLS = ("sbatch", "squeue", "scontrol", "sinfo", "slurmctld", "slurmd", "munged", "munge", "unmunge")
USABLE = {"idle", "mixed", "allocated", "completing"}

SEQ_LEN = 101
HEADER = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
SHEET = HEADER + "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\nGATAF\tfasta\tgataf.fa\t\tMA0035.5\tGATA1\tK562\n"
TINY = {
    "tfs": "tfs.tsv",
    "architectures": ["cnn"],
    "data": {"seq_len": SEQ_LEN, "synthetic": {"n_train": 200, "n_test": 100}},
    "models": {"cnn": {"filters": 8, "kernels": [9], "pool": 2}},
    "train": {"epochs": 2, "patience": 1, "batch_size": 64, "device": "cpu"},
    "interpret": {"n_top": 20},
    "grammar": {"enabled": False},  # a job more per model, each an sbatch: the grammar stage is tested elsewhere
    # no GPU on the test node: the shipped config asks for one per train/interpret job
    "resources": {"gpu": 0, "train": {"runtime": 15, "mem_mb": 2000}, "interpret": {"runtime": 15, "mem_mb": 2000}},
}


def _run(cmd, timeout=60, check=False, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check, **kw)


def _ok(cmd, timeout=30) -> bool:
    try:
        return _run(cmd, timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# ---------------------------------------------------------------------------------------------- cluster


def _install() -> str | None:
    """Install slurm-wlm and munge with apt when missing; the reason it could not, or None."""
    if all(shutil.which(t) for t in TOOLS):
        return None
    if not shutil.which("apt-get"):
        return "slurm-wlm/munge missing and no apt-get to install them"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "slurm-wlm", "munge"]):
        try:
            res = _run(cmd, timeout=900, env=env)
        except subprocess.TimeoutExpired:
            return f"{' '.join(cmd)} timed out (no network?)"
        if res.returncode != 0:
            return f"{' '.join(cmd)} failed (no network?): {(res.stderr or res.stdout)[-500:]}"
    missing = [t for t in TOOLS if not shutil.which(t)]
    return f"still missing after apt-get install: {', '.join(missing)}" if missing else None


def _partitions() -> list[str]:
    """Partitions profiles/slurm submits to (default first): the test cluster gets each, on its one node."""
    prof = yaml.safe_load((ROOT / PROFILE / "config.yaml").read_text())
    names = [str(prof["default-resources"]["slurm_partition"])]
    for res in (prof.get("set-resources") or {}).values():
        if res.get("slurm_partition") and str(res["slurm_partition"]) not in names:
            names.append(str(res["slurm_partition"]))
    return names


def _slurm_conf() -> str:
    host = socket.gethostname().split(".")[0]
    node = _run(["slurmd", "-C"], check=True).stdout.splitlines()[0].strip()  # NodeName=… CPUs=… RealMemory=…
    assert node.startswith(f"NodeName={host} "), node
    parts = [f"PartitionName={p} Nodes={host} MaxTime=INFINITE State=UP" + (" Default=YES" if i == 0 else "")
             for i, p in enumerate(_partitions())]
    return "\n".join([
        MARKER,
        "ClusterName=deepmotiftest",
        f"SlurmctldHost={host}(127.0.0.1)",
        "SlurmUser=root",
        "AuthType=auth/munge",
        f"StateSaveLocation={STATE}/ctld",
        f"SlurmdSpoolDir={STATE}/d",
        f"SlurmctldPidFile={PIDFILES['slurmctld']}",
        f"SlurmdPidFile={PIDFILES['slurmd']}",
        f"SlurmctldLogFile={LOGS}/deepmotif-test-slurmctld.log",
        f"SlurmdLogFile={LOGS}/deepmotif-test-slurmd.log",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",  # no slurmdbd: sacct unusable, status via squeue
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "SchedulerType=sched/backfill",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "ReturnToService=2",
        "MinJobAge=900",  # finished jobs stay in squeue for 15 min: the plugin's status source here
        f"{node} NodeAddr=127.0.0.1 State=UNKNOWN",
        *parts,
        "",
    ])


def _node_states() -> set[str]:
    try:
        res = _run(["sinfo", "-h", "-N", "-o", "%T"], timeout=30)
    except subprocess.TimeoutExpired:
        return set()
    return set(res.stdout.split()) if res.returncode == 0 else set()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return not re.search(r"^State:\s+Z", status, flags=re.M)


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop_slurm() -> None:
    """Stop slurmctld and slurmd (those of the pid files of our slurm.conf): politely, then by pid."""
    if _ok(["scontrol", "ping"]):
        _ok(["scontrol", "shutdown"])
    deadline = time.time() + 30
    for name, path in PIDFILES.items():
        pid = _pid(path)
        while pid and _alive(pid) and time.time() < deadline:
            time.sleep(0.5)
        if pid and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            time.sleep(2)


def _wait_node_usable(timeout=90) -> set[str]:
    deadline, resumed = time.time() + timeout, False
    states: set[str] = set()
    while time.time() < deadline:
        states = _node_states()
        if states and states <= USABLE:
            return states
        if not resumed and any(s.startswith(("down", "drain")) for s in states):
            host = socket.gethostname().split(".")[0]
            _ok(["scontrol", "update", f"nodename={host}", "state=resume"])
            resumed = True
        time.sleep(1)
    return states


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running single-node SLURM cluster with the partitions of profiles/slurm."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("needs root to install and start SLURM (slurm-wlm, munge)")
    why = _install()
    if why:
        pytest.skip(why)

    started_munge = None
    if not _ok(["sh", "-c", "munge -n | unmunge"]):
        if not Path("/etc/munge/munge.key").is_file():
            _run(["mungekey", "--create"], check=True)
            shutil.chown("/etc/munge/munge.key", "munge", "munge")
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        _run(["runuser", "-u", "munge", "--", "munged"], check=True)
        started_munge = _pid(MUNGE_PID)
        assert _ok(["sh", "-c", "munge -n | unmunge"]), "munged started but munge/unmunge fails"

    conf, started_slurm, backup = _slurm_conf(), False, None
    current = SLURM_CONF.read_text() if SLURM_CONF.is_file() else None
    reuse = current == conf and _ok(["scontrol", "ping"]) and _wait_node_usable(timeout=20) <= USABLE
    if not reuse:
        _stop_slurm()
        if current is not None and MARKER not in current:  # someone else's: put back at the end
            backup = SLURM_CONF.with_name("slurm.conf.before-deepmotif-test")
            shutil.copy2(SLURM_CONF, backup)
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(conf)
        for d in (STATE / "ctld", STATE / "d", LOGS):
            d.mkdir(parents=True, exist_ok=True)
        _run(["slurmctld", "-c"], check=True)  # -c: start clean, without jobs of an earlier cluster
        _run(["slurmd"], check=True)
        started_slurm = True
        states = _wait_node_usable()
        assert states and states <= USABLE, f"SLURM node not usable: {states}; see {LOGS}/deepmotif-test-*.log"
    try:
        yield {"partitions": _partitions(), "reused": reuse}
    finally:
        if started_slurm:
            _stop_slurm()
            # Leave no slurm.conf of a stopped cluster behind: with one, every `snakemake` start waits ~10 s
            # for the slurm plugin's `scontrol show config` to time out.
            if backup is not None:
                shutil.move(backup, SLURM_CONF)
            else:
                SLURM_CONF.unlink(missing_ok=True)
        if started_munge and _alive(started_munge):
            os.kill(started_munge, signal.SIGTERM)


# ---------------------------------------------------------------------------------------------- workflow


def _fasta(path: Path, n: int, length: int, seed: int = 0) -> None:
    """``n`` random sequences of ``length`` bp with a GATA site (AGATAAG) planted in each."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        for i in range(n):
            seq = list(rng.choice(list("ACGT"), size=length))
            start = int(rng.integers(0, length - 7))
            seq[start:start + 7] = "AGATAAG"
            fh.write(f">peak{i}\n{''.join(seq)}\n")


def _snakemake(work: Path, *extra: str, timeout=900, wait=True, stdout=None):
    """Run the workflow on the cluster; ``wait=False``: start it (output to ``stdout``) and return the Popen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_", "SRUN_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"  # `deepmotif` and `snakemake` in jobs
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))  # sbatch --export=ALL passes it on
    cmd = [str(VENV_BIN / "snakemake"), *extra, "--executor", "slurm", "--profile", PROFILE,
           "--profile", str(work / "test-profile"), "--workflow-profile", "none",
           "--snakefile", "workflow/Snakefile", "--directory", str(work),
           "--configfile", str(work / "config.yaml")]  # targets first: --configfile takes several values
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT, text=True)
    return _run(cmd, timeout=timeout, cwd=ROOT, env=env)


def _submitted(log: str) -> dict[str, list[str]]:
    """Snakemake job id (a number; a UUID for a group job) → SLURM job ids it was submitted as (several when
    retried)."""
    out: dict[str, list[str]] = {}
    for job, slurm in re.findall(r"Job (\S+) has been submitted with SLURM jobid (\d+)", log):
        out.setdefault(job, []).append(slurm)
    return out


def _local_rules() -> set[str]:
    """The workflow's ``localrules`` (run where Snakemake runs, never submitted)."""
    block = re.search(r"^localrules:\n((?:    \w+,?\n)+)", (ROOT / "workflow" / "Snakefile").read_text(), flags=re.M)
    return set(re.findall(r"\w+", block.group(1)))


def _own(log: str) -> str:
    """The log without the job logs it quotes for failed jobs (`show-failed-logs`)."""
    return re.sub(r"^Logfile [^\n]*:\n={40,}\n.*?^={40,}\n", "", log, flags=re.M | re.S)


def _rule_jobs(log: str) -> dict[str, str]:
    """Snakemake job id → rule of every job (grouped, local and `all` included)."""
    # grouped jobs are listed indented under their "Group job" line; local ones as "localrule"
    return {job: rule for rule, job in re.findall(r"^ *(?:local)?rule (\w+):\n(?: +.*\n)*? +jobid: (\d+)", _own(log),
                                                  flags=re.M)}


def _squeue(ids) -> dict[str, tuple[str, str]]:
    """SLURM job id → (state, job name), as squeue reports them (finished jobs stay for MinJobAge)."""
    res = _run(["squeue", "--states=all", "-h", "-o", "%i|%T|%j", "-j", ",".join(ids)], check=True)
    return {i: (state, name) for i, state, name in (line.split("|", 2) for line in res.stdout.splitlines())}


def _check_all_through_slurm(log: str) -> dict[str, tuple[str, str]]:
    """Every job went through SLURM but the workflow's localrules (group jobs as one submission each);
    returns SLURM job id → (state, name)."""
    own, submitted = _own(log), _submitted(log)
    single = {job: rule for rule, job in re.findall(r"^rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)", own, flags=re.M)}
    local = set(re.findall(r"^localrule (\w+):", own, flags=re.M))
    assert single or "Group job" in own, log[-3000:]
    missing = {job: rule for job, rule in single.items() if job not in submitted}
    assert not missing, f"jobs not submitted to SLURM: {missing}"
    assert local <= _local_rules(), f"jobs run outside SLURM: {local - _local_rules()}"
    group_submissions = sum(len(ids) for job, ids in submitted.items() if not job.isdigit())  # retries too
    assert group_submissions == own.count("Group job"), (group_submissions, own.count("Group job"))
    ids = [i for ids in submitted.values() for i in ids]
    seen = _squeue(ids)
    assert set(seen) == set(ids), f"SLURM does not know jobs {set(ids) - set(seen)}"
    run_id = re.search(r"SLURM run ID: (\S+)", log).group(1)
    assert {name for _, name in seen.values()} == {run_id}
    return seen


def _dry_run_resources(*args: str) -> dict[str, dict[str, str]]:
    """Rule → its jobs' resources (name → value) as a forced dry run of the full default config prints them."""
    res = _run([str(VENV_BIN / "snakemake"), "--dry-run", "--forceall", *args], timeout=300, cwd=ROOT)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    # a grouped job's block is indented under its "Group job" line
    blocks = re.findall(r"^ *rule (\w+):\n(?: +.*\n)*? +resources: (.*)$", out, flags=re.M)
    assert blocks, out[-3000:]
    rules: dict[str, dict[str, str]] = {}
    for rule, text in blocks:
        res_ = dict(item.split("=", 1) for item in text.split(", "))
        assert rules.setdefault(rule, res_) == res_, f"jobs of {rule} differ in resources"
    return rules


def test_slurm_profile_resources(tmp_path):
    """No SLURM needed: what profiles/slurm and config `resources` make every job ask sbatch for."""
    profile = yaml.safe_load((ROOT / PROFILE / "config.yaml").read_text())
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["resources"]
    defaults = {k: str(v) for k, v in profile["default-resources"].items()}
    assert {"slurm_partition", "slurm_account", "runtime", "mem_mb", "cpus_per_task"} <= set(defaults)
    gpus = 1 if config["gpu"] == "auto" else config["gpu"]  # auto: 1 for jobs sent to a cluster
    assert gpus >= 1 and profile["executor"] == "slurm"
    # rule → its section in config `resources` (the grammar stage runs on the interpret stage's)
    gpu_rules = {"train": "train", "interpret": "interpret", "grammar": "interpret"}

    rules = _dry_run_resources("--executor", "slurm", "--profile", PROFILE, "--workflow-profile", "none")
    for rule, res in rules.items():
        assert res["slurm_account"] == defaults["slurm_account"], (rule, res)
        assert res["cpus_per_task"] == "1", (rule, res)  # `threads`: 1 for every rule of the default config
        if rule in gpu_rules:
            want = {k: str(v) for k, v in config[gpu_rules[rule]].items() if v is not None}
            want.update(gpu=str(gpus), **{k: str(v) for k, v in profile["set-resources"][rule].items()})
            assert {k: res.get(k) for k in want} == want, (rule, res)
            assert res["slurm_partition"] != defaults["slurm_partition"], (rule, res)
            assert "gpu_model" not in res and "gres" not in res, (rule, res)
        else:  # CPU-only: no GPU, the profile's defaults
            assert "gpu" not in res and res["slurm_partition"] == defaults["slurm_partition"], (rule, res)
    assert set(gpu_rules) <= set(rules) and {"prepare", "match", "html_report"} <= set(rules)
    assert rules["prepare"]["runtime"] == defaults["runtime"] and rules["prepare"]["mem_mb"] == defaults["mem_mb"]

    # Older clusters: gres instead of --gpus; a GPU model; CPU only.
    for extra, want in ((dict(gres="gpu:v100:1"), {"gres": "gpu:v100:1"}),
                        (dict(gpu=2, gpu_model="a100"), {"gpu": "2", "gpu_model": "a100"}),
                        (dict(gpu=0), {})):
        override = tmp_path / "override.yaml"
        override.write_text(yaml.safe_dump({"resources": extra}))
        rules = _dry_run_resources("--executor", "slurm", "--profile", PROFILE, "--workflow-profile", "none",
                                   "--configfile", "config/config.yaml", str(override))
        for rule in gpu_rules:
            got = {k: v for k, v in rules[rule].items() if k in ("gpu", "gpu_model", "gres")}
            assert got == want, (extra, rule, rules[rule])


def test_workstation_profile_holds_gpu_token(tmp_path):
    """profiles/default: with a GPU, train/interpret/grammar take the single `gpu` token (one GPU job at a time),
    others none."""
    override = tmp_path / "override.yaml"
    override.write_text(yaml.safe_dump({"resources": {"gpu": 1}}))
    rules = _dry_run_resources("--profile", "profiles/default", "--cores", "2", "--configfile", "config/config.yaml",
                               str(override))
    assert rules["train"]["gpu"] == rules["interpret"]["gpu"] == rules["grammar"]["gpu"] == "1"
    assert all("gpu" not in res for rule, res in rules.items() if rule not in ("train", "interpret", "grammar"))
    # `gpu: auto` on a machine without GPU is checked on a real local run in tests/test_workflow.py.


@pytest.mark.slow
def test_workflow_on_slurm(slurm_cluster, tmp_path):
    work = tmp_path
    (work / "config.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    (work / "tfs.tsv").write_text(SHEET)
    (work / "gataf.fa").write_text(">bad\n" + "ACGT" * 10 + "\n")  # 40 bp, not seq_len: `prepare` fails
    # The test node has no slurmdbd: status by squeue, first check after 5 s instead of 40 s.
    (work / "test-profile").mkdir()
    (work / "test-profile" / "config.yaml").write_text(yaml.safe_dump({
        "slurm-status-command": "squeue",
        "slurm-init-seconds-before-status-checks": 5,
        "slurm-keep-successful-logs": True,
    }))

    # 1st run: GATAF's prepare job fails in SLURM (and once more on retry); GATA1 goes through.
    first = _snakemake(work)
    log1 = first.stdout + first.stderr
    (work / "run1.log").write_text(log1)
    assert first.returncode != 0, log1[-3000:]
    seen1 = _check_all_through_slurm(log1)
    failed = [i for i, (state, _) in seen1.items() if state == "FAILED"]
    assert len(failed) == 2, seen1  # `retries: 1` in profiles/slurm: resubmitted once, failed again
    # GATAF's prepare and PWM baseline are one group job ("data"): the group failed, naming its jobs
    group_of = {slurm: job for job, ids in _submitted(log1).items() for slurm in ids}
    assert len({group_of[i] for i in failed}) == 1 and not group_of[failed[0]].isdigit()
    errors = re.findall(r"^    message: Error in group data\n    log: \S+/group_data_prepare_pwm_baseline/(\d+)\.log"
                        r".*\n    jobs:\n(?:        .*\n)*?            output: results/GATAF/data\.npz", _own(log1),
                        flags=re.M)
    assert set(errors) == set(failed), log1[-3000:]
    assert "sequence is 40 bp, expected 101 bp" in (work / "logs" / "prepare" / "GATAF.log").read_text()
    assert not (work / "results" / "GATAF" / "data.npz").exists()
    done = [work / "results" / "GATA1" / f for f in ("data.npz", "cnn/best.pt", "cnn/saliency.npz",
                                                      "cnn/motifs.meme", "pwm/metrics.json")]
    assert all(p.is_file() for p in done), log1[-3000:]
    assert set(seen1[i][0] for i in seen1 if i not in failed) == {"COMPLETED"}
    assert (work / "logs" / "slurm" / "group_data_prepare_pwm_baseline").is_dir()  # sbatch logs: slurm-logdir
    mtimes = {p: p.stat().st_mtime_ns for p in done}

    # 2nd run, input fixed: only GATAF and the tables/report are made; GATA1's outputs stay as they are.
    _fasta(work / "gataf.fa", 150, SEQ_LEN)
    second = _snakemake(work)
    log2 = second.stdout + second.stderr
    (work / "run2.log").write_text(log2)
    assert second.returncode == 0, log2[-5000:]
    seen2 = _check_all_through_slurm(log2)
    assert {s for s, _ in seen2.values()} == {"COMPLETED"}
    rules2 = sorted(_rule_jobs(log2).values())
    for rule in ("prepare", "pwm_baseline", "train", "interpret", "motifs"):  # GATAF's only
        assert rules2.count(rule) == 1, rules2
    assert {"auroc_table", "match", "html_report"} <= set(rules2) and "jaspar_db" not in rules2, rules2
    assert not re.search(r"wildcards: tf=GATA1\b", _own(log2))
    assert {p: p.stat().st_mtime_ns for p in done} == mtimes

    auroc = (work / "results" / "tables" / "auroc.tsv").read_text()
    assert "GATA1" in auroc and "GATAF" in auroc, auroc
    assert (work / "results" / "tables" / "motif_matches.tsv").is_file()
    assert (work / "results" / "report" / "index.html").stat().st_size > 0
    dry = _snakemake(work, "--dry-run")
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout + dry.stderr


PREEMPT = {
    "tfs": "tfs.tsv",
    "architectures": ["cnn"],
    "data": {"seq_len": SEQ_LEN, "synthetic": {"n_train": 30000, "n_test": 200}},
    "models": {"cnn": {"filters": 32, "kernels": [9]}},
    # epochs: set by _preempt_epochs, so that the whole training takes about PREEMPT_SECONDS here
    "train": {"device": "cpu"},
    "grammar": {"enabled": False},
    "resources": {"gpu": 0, "train": {"runtime": 1, "mem_mb": 2000}, "interpret": {"runtime": 15, "mem_mb": 2000}},
}
#: the training's length, timed alone: the job's epochs take ~1.6x as long, beside the uninterrupted reference
#: run, so about 110 s: longer than a train job's 1-minute limit, which slurmctld enforces up to ~30 s late
#: (its retry must time out), short enough that one rerun finishes it (the test's time follows from this, not
#: from the node's speed: 70 fixed epochs took 140-280 s of training, 477 s of test; 120 here, 543 s)
PREEMPT_SECONDS = 70


def _preempt_epochs() -> int:
    """Epochs of PREEMPT's training that take about PREEMPT_SECONDS on this node: one epoch's forward and
    backward passes of its CNN over its training set size, timed here on one thread (the job's own epochs
    also score validation, so they take a little longer: the retry's time-out only gets surer)."""
    import torch

    from deepmotif.config import DEFAULTS, merge, model_params
    from deepmotif.models import build_model

    cfg = merge(DEFAULTS, PREEMPT)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = build_model("cnn", **model_params(cfg, "cnn"))
        opt = torch.optim.Adam(model.parameters())
        n, batch = PREEMPT["data"]["synthetic"]["n_train"], cfg["train"]["batch_size"]
        x = torch.nn.functional.one_hot(torch.randint(0, 4, (batch, SEQ_LEN)), 4).float().transpose(1, 2)
        y = torch.randint(0, 2, (batch,)).float()
        start = time.perf_counter()
        for _ in range(n // batch):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(model(x), y).backward()
            opt.step()
        epoch = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return max(10, min(200, round(PREEMPT_SECONDS / epoch)))


@pytest.mark.slow
def test_cancelled_and_timed_out_train_jobs_resume_from_their_checkpoint(slurm_cluster, tmp_path):
    """Preemption and walltime: a running train job is `scancel`led, its retry (`retries: 1` of the profile)
    runs into the 1-minute `runtime` limit (SLURM state TIMEOUT); rerunning the same command resumes each
    time from the last epoch checkpoint, and the training, longer than one job may run, ends
    with the metrics of an uninterrupted `deepmotif train` of the same command line."""
    work = tmp_path
    epochs = _preempt_epochs()
    train = {**PREEMPT["train"], "epochs": epochs, "patience": epochs}
    (work / "config.yaml").write_text(yaml.safe_dump({**PREEMPT, "train": train}, sort_keys=False))
    (work / "tfs.tsv").write_text(HEADER + "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n")
    (work / "test-profile").mkdir()
    (work / "test-profile" / "config.yaml").write_text(yaml.safe_dump({
        "slurm-status-command": "squeue", "slurm-init-seconds-before-status-checks": 5}))
    out = work / "results" / "GATA1" / "cnn" / "sizes" / "medium"
    target = str((out / "metrics.json").relative_to(work))

    first_log = work / "run1.log"
    with open(first_log, "w") as fh:
        first = _snakemake(work, target, wait=False, stdout=fh)
    reference = None
    deadline = time.time() + 600
    try:
        while not (out / "last.pt").exists() and time.time() < deadline and first.poll() is None:
            if reference is None and "Shell command: deepmotif train" in first_log.read_text():
                reference = _reference_training(first_log.read_text(), work / "uninterrupted")
            time.sleep(0.2)
        assert (out / "last.pt").exists(), first_log.read_text()[-3000:]
        running = _run(["squeue", "-h", "-t", "RUNNING", "-o", "%i"], check=True).stdout.split()
        assert len(running) == 1, running  # the train job
        _run(["scancel", running[0]], check=True)
        assert first.wait(timeout=900) != 0  # cancelled, then its retry timed out
    finally:
        if first.poll() is None:
            first.kill()
    logs = [first_log.read_text()]
    for _ in range(4):  # each rerun resumes; a train job may hit its time limit again
        if (out / "metrics.json").exists():
            break
        rerun = _snakemake(work, target)
        logs.append(rerun.stdout + rerun.stderr)
    assert (out / "metrics.json").exists(), logs[-1][-3000:]
    states = [state for log in logs for state, _ in _squeue([i for ids in _submitted(log).values()
                                                            for i in ids]).values()]
    assert "CANCELLED" in states and "TIMEOUT" in states, states
    assert "resuming cnn from epoch" in (work / "logs" / "train" / "GATA1_cnn_medium.log").read_text()

    assert reference is not None and reference.wait(timeout=900) == 0, reference.stderr.read()[-2000:]
    got, want = (json.loads(p.read_text()) for p in (out / "metrics.json", work / "uninterrupted" / "metrics.json"))
    assert got["epochs_run"] == want["epochs_run"] == epochs
    assert [h["epoch"] for h in got["history"]] == list(range(1, epochs + 1))
    strip = lambda m: {k: v for k, v in m.items() if k not in ("wall_seconds", "history")}  # noqa: E731
    assert strip(got) == strip(want)
    assert [{k: v for k, v in h.items() if k != "seconds"} for h in got["history"]] == \
        [{k: v for k, v in h.items() if k != "seconds"} for h in want["history"]]


def _reference_training(log: str, out_dir: Path) -> subprocess.Popen:
    """The train job's own command line (as Snakemake printed it) run here uninterrupted into ``out_dir``."""
    import shlex

    line = re.search(r"^Shell command: (deepmotif train .*)$", log, flags=re.M).group(1)
    argv = shlex.split(line.split(" 2> ")[0])
    argv[argv.index("--out-dir") + 1] = str(out_dir)
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.Popen(argv, cwd=out_dir.parent, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
