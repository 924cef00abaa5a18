"""The train stage: fit one architecture on one TF, select the model on validation AUROC (never on test),
checkpoint every epoch atomically so a killed job resumes, and write ``metrics.json``."""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from deepmotif.config import DEFAULTS, TRAIN_META
from deepmotif.errors import InputError
from deepmotif.evaluate import auroc_aupr, mean_task_auroc, predict
from deepmotif.io_utils import atomic_path, remove_stale_temporaries, write_json
from deepmotif.models import any_log_odds, build_model, reverse_complement, strands_of

#: training options of :func:`fit` left out of its ``cfg``: the configuration defaults' ``train`` section
TRAIN_DEFAULTS = {k: v for k, v in DEFAULTS["train"].items() if k not in TRAIN_META}


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cpu``/``cuda``/``cuda:1`` as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("config asks for a CUDA device but none is available", field="train.device")
    return torch.device(device)


def set_seed(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA) and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def save_model(path: str | Path, model: torch.nn.Module, arch: str, params: dict) -> None:
    """Write a self-describing checkpoint (architecture, sizes, weights) atomically."""
    with atomic_path(path) as tmp:
        torch.save({"arch": arch, "params": params, "state_dict": model.state_dict()}, tmp)


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, str]:
    """Rebuild a model saved by :func:`save_model`; returns (model in eval mode, architecture)."""
    try:
        ckpt = torch.load(path, map_location=device, weights_only=False)
        model = build_model(ckpt["arch"], **ckpt["params"])
        model.load_state_dict(ckpt["state_dict"])
    except FileNotFoundError:
        raise InputError("model checkpoint not found", path=path) from None
    except Exception as err:  # truncated, foreign or mismatched file: one clear message, not a trace
        raise InputError(f"not a usable deepmotif checkpoint ({type(err).__name__}: {_first_sentence(err)})",
                         path=path) from None
    return model.to(device).eval(), ckpt["arch"]


def _state(model, opt, sched, epoch, best, history, best_state) -> dict:
    return {"model": model.state_dict(), "best_model": best_state, "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "epoch": epoch, "best": best, "history": history, "torch_rng": torch.get_rng_state(),
            "numpy_rng": np.random.get_state(), "python_rng": random.getstate()}


# Training options that do not change what a resumed run computes.
_RESUMABLE = ("epochs", "min_epochs", "patience", "threads", "device", "resume", "amp", "on_bad_checkpoint")


def _signature(arch: str, params: dict, cfg: dict, X: torch.Tensor, y: torch.Tensor) -> dict:
    """What a resumable state must agree on: architecture, sizes, training options and the training data."""
    digest = hashlib.sha256(X.numpy().tobytes() + y.numpy().tobytes()).hexdigest()
    return {"arch": arch, "params": params, "train": {k: v for k, v in cfg.items() if k not in _RESUMABLE},
            "data_sha256": digest}


def _resume(path: Path, signature: dict, model, opt, sched, on_bad: str = "error"):
    """Restore the training state of ``path``; None when it belongs to other settings (then start over).

    A corrupt checkpoint, or one of another architecture, raises :class:`InputError` — or, with
    ``on_bad="restart"``, is deleted with a warning and training starts over."""
    try:
        return _restore(path, signature, model, opt, sched)
    except InputError as err:
        if on_bad != "restart":
            raise
        print(f"warning: {err}; discarded it (train.on_bad_checkpoint: restart)", file=sys.stderr)
        path.unlink(missing_ok=True)
        return None


def _first_sentence(err: Exception, limit: int = 160) -> str:
    text = str(err).split(". ")[0].strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _restore(path: Path, signature: dict, model, opt, sched):
    arch = signature["arch"]
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        if state.get("arch") != arch:
            raise InputError(f"checkpoint is of architecture {state.get('arch')!r}, expected {arch!r}; delete it "
                             "or set train.on_bad_checkpoint: restart", path=path)
        if json.loads(json.dumps(state.get("signature"))) != json.loads(json.dumps(signature)):
            print(f"warning: {path} was written with other settings; starting over", file=sys.stderr)
            return None
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
    except InputError:
        raise
    except Exception as err:  # a truncated or foreign file
        raise InputError(f"cannot resume from checkpoint ({type(err).__name__}: {_first_sentence(err)}); delete "
                         "it or set train.on_bad_checkpoint: restart", path=path) from None
    torch.set_rng_state(state["torch_rng"])
    np.random.set_state(state["numpy_rng"])
    random.setstate(state["python_rng"])
    return state["epoch"] + 1, state["best"], state["history"], state["best_model"]


def flip_half(xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Reverse-complement augmentation: a random half of the batch's sequences replaced by their reverse
    complements (the labels stay: a site is the same site on either strand). ``gen`` makes it reproducible."""
    flip = (torch.rand(len(xb), generator=gen) < 0.5).to(xb.device)
    return torch.where(flip[:, None, None], reverse_complement(xb), xb)


def any_task(y: np.ndarray) -> np.ndarray:
    """Labels (N,) or multi-task labels (N, tasks) → (N,) 1 where any task is positive."""
    y = np.asarray(y)
    return y.max(axis=1) if y.ndim == 2 else y


def _scores(model, X: np.ndarray, device, multitask: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's score of every sequence and, for a multi-task model, its (N, tasks) task logits: one pass
    (the score is :func:`deepmotif.models.any_log_odds` of the task logits)."""
    if not multitask:
        return predict(model, X, device=device), None
    logits = predict(model, X, device=device, tasks=True)
    return any_log_odds(torch.from_numpy(logits).float()).double().numpy(), logits


def training_data(data_file: str | Path, params: dict) -> tuple[dict, dict]:
    """The splits :func:`fit` trains on and the model settings it builds with: a model of ``tasks:
    planted`` gets one output per planted motif of ``data_file`` and those multi-task labels
    (:func:`deepmotif.data.prepare.load_task_labels`); any other model the binary labels."""
    from deepmotif.data.prepare import load_split, load_task_labels

    data = {s: load_split(data_file, s) for s in ("train", "valid", "test")}
    if params.get("tasks") != "planted":
        return data, params
    labels = {s: load_task_labels(data_file, s) for s in data}
    return {s: (data[s][0], labels[s]) for s in data}, {**params, "tasks": int(labels["train"].shape[1])}


def train_from_config(config: dict, arch: str, data_file: str | Path, out_dir: str | Path, size: str | None = None,
                      threads: int = 1, device: str | None = None, config_path: str | Path | None = None,
                      progress: bool = True) -> dict:
    """The train stage of one TF × architecture (``deepmotif train``): :func:`fit` with the model settings of
    ``arch`` (a variant's too) at width variant ``size`` and its training options, from ``config``.

    Parameters
    ----------
    config : dict
        Full config (``models``, ``train``).
    arch : str
        Architecture or named variant (``models.<name>`` with ``arch:``).
    data_file : path
        The TF's ``data.npz``.
    out_dir : path
        Receives ``best.pt``, ``last.pt`` and ``metrics.json``.
    size : str, optional
        A key of ``models.sizes``; None = unscaled.
    threads : int
        CPU threads.
    device : str, optional
        ``auto``, ``cpu`` or ``cuda``; overrides ``train.device``.
    config_path : path, optional
        The YAML file the config came from, named in errors.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    from deepmotif.config import sized_model_params, train_options

    options = dict(train_options(config, arch, config_path), threads=threads)
    if device:
        options["device"] = device
    params = sized_model_params(config, arch, size, path=config_path)
    meta = {"size": size, "scale": float(config["models"]["sizes"][size])} if size else None
    data, params = training_data(data_file, params)
    return fit(arch, params, data, out_dir, options, progress=progress, meta=meta)


def train_sizes(config: dict, arch: str, data_file: str | Path, sizes_dir: str | Path, sizes: list[str],
                threads: int = 1, device: str | None = None, config_path: str | Path | None = None) -> dict:
    """Several width variants of one TF × architecture at once (``deepmotif train-sizes``): each size's
    :func:`train_from_config` in its own process, all running together on ``device`` (a GPU holds several
    small models: one cluster job then uses it for all of them), into ``sizes_dir/<size>/``.

    ``threads`` CPU threads per size. A size's error (the first in ``sizes`` order) is raised after every size
    has finished (the others' models are kept). Returns size → the metrics written to its ``metrics.json``.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from deepmotif.config import sized_model_params

    if len(set(sizes)) != len(sizes) or not sizes:
        raise ValueError(f"sizes must be distinct and at least one, got {sizes}")
    for size in sizes:  # an unknown size or bad scale fails here, before any training
        sized_model_params(config, arch, size, path=config_path)
    # spawn: a forked child must not inherit the parent's CUDA or thread-pool state
    with ProcessPoolExecutor(len(sizes), mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = {size: pool.submit(train_from_config, config, arch, data_file, Path(sizes_dir) / size, size=size,
                                  threads=threads, device=device, config_path=config_path, progress=False)
                for size in sizes}
    return {size: job.result() for size, job in jobs.items()}  # leaving the pool waited for every size


def fit(arch: str, params: dict, data: dict[str, tuple[np.ndarray, np.ndarray]], out_dir: str | Path,
        cfg: dict | None = None, progress: bool = True, meta: dict | None = None) -> dict:
    """Train ``arch`` on ``data['train']``, select on ``data['valid']`` AUROC, report on ``data['test']``.

    Parameters
    ----------
    arch : str
        ``cnn``, ``rnn`` or ``cnnrnn``.
    params : dict
        Model sizes for :func:`deepmotif.models.build_model`.
    data : dict
        ``{"train"|"valid"|"test": (X (N, 4, L) float32, y (N,))}``; for a multi-task model (``params``
        ``tasks`` > 1) y is (N, tasks): the loss is fitted on :meth:`task_logits`, and the AUROCs (selection
        and report) are of the model's score (any task) against "any task positive"; the model is selected
        on ``valid_task_auroc``, the mean of the tasks' own AUROCs (the score's AUROC rises as soon as the
        easiest tasks are learnt, and stopped KOO12's training with 7 of 12 tasks at chance).
    out_dir : str or Path
        Receives ``best.pt``, ``last.pt`` (resumable state) and ``metrics.json``.
    cfg : dict, optional
        Training options (see ``TRAIN_DEFAULTS``).
    meta : dict, optional
        Extra records for ``metrics.json`` (e.g. the model size ``{"size": "large", "scale": 2.0}``).

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    cfg = {**TRAIN_DEFAULTS, **(cfg or {})}
    out_dir = Path(out_dir)
    device = pick_device(cfg["device"])
    torch.set_num_threads(int(cfg["threads"]))
    set_seed(int(cfg["seed"]))
    model = build_model(arch, **params).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=cfg["lr_patience"])
    X, y = (torch.as_tensor(a) for a in data["train"])
    # On a GPU: bfloat16 autocast for the forward pass (bfloat16 keeps float32's range, so no loss scaling is
    # needed; metrics are computed in float32).
    amp = device.type == "cuda" and bool(cfg["amp"])
    Xv, yv = data["valid"]
    multitask = y.ndim == 2
    score_of = model.task_logits if multitask else model
    selected_on = "valid_task_auroc" if multitask else "valid_auroc"
    start, best, history, best_state = 0, {"auroc": -1.0, "epoch": -1}, [], None
    last_path = out_dir / "last.pt"
    for name in ("last.pt", "best.pt", "metrics.json"):
        remove_stale_temporaries(out_dir, name)
    signature = _signature(arch, params, cfg, X, y)
    # the training set stays on the device for the whole run: a batch is an index into it, no host copy
    # (one-hot sets are small: DeMo's GATA1 training set is 24 MB as float32)
    X, y = X.to(device), y.to(device)
    resumed = None
    if cfg["resume"] and last_path.exists():
        resumed = _resume(last_path, signature, model, opt, sched, cfg["on_bad_checkpoint"])
    if resumed:
        start, best, history, best_state = resumed
        print(f"resuming {arch} from epoch {start + 1}", file=sys.stderr)
    t0 = time.time() - sum(h["seconds"] for h in history)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    gen = torch.Generator()
    # a model scoring both strands gives a sequence and its reverse complement one score: flipping changes
    # nothing it learns from, so rc_augment applies to one-strand models only
    augment = bool(cfg["rc_augment"]) and strands_of(model) == "single"
    for epoch in range(start, int(cfg["epochs"])):
        if epoch - best["epoch"] > cfg["patience"] and best["epoch"] >= 0 and epoch >= cfg["min_epochs"]:
            break
        model.train()
        gen.manual_seed(int(cfg["seed"]) * 100003 + epoch)
        order = torch.randperm(len(X), generator=gen).to(device)
        # the loss summed on the device (float64, as Python's float was): no host sync per batch
        t_epoch, total = time.time(), torch.zeros((), dtype=torch.float64, device=device)
        batches = range(0, len(X), cfg["batch_size"])
        for i in tqdm(batches, desc=f"{arch} epoch {epoch + 1}/{cfg['epochs']}", disable=not progress,
                      file=sys.stderr, mininterval=2, leave=False):
            idx = order[i:i + cfg["batch_size"]]
            xb, yb = X[idx], y[idx].float()
            if augment:
                xb = flip_half(xb, gen)
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                logits = score_of(xb)
            loss = loss_fn(logits.float(), yb)
            loss.backward()
            opt.step()
            total += loss.detach().double() * len(idx)
        total = total.item()
        score, logits = _scores(model, Xv, device, multitask)
        record = {"epoch": epoch + 1, "loss": total / len(X), "valid_auroc": auroc_aupr(any_task(yv), score)["auroc"]}
        if multitask:
            record["valid_task_auroc"] = mean_task_auroc(yv, logits)
        selected = record[selected_on]
        sched.step(selected)
        history.append({**record, "seconds": time.time() - t_epoch})
        if progress:
            print(f"{arch} epoch {epoch + 1}: loss {total / len(X):.4f} valid AUROC {record['valid_auroc']:.4f}"
                  + (f" (tasks {record['valid_task_auroc']:.4f})" if multitask else ""), file=sys.stderr)
        if selected > best["auroc"]:
            best = {"auroc": selected, "epoch": epoch}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        with atomic_path(last_path) as tmp:
            torch.save({**_state(model, opt, sched, epoch, best, history, best_state), "arch": arch,
                        "signature": signature}, tmp)
    model.load_state_dict(best_state)
    save_model(out_dir / "best.pt", model, arch, params)
    model.eval()
    metrics = {"architecture": arch, "params": params, "device": str(device), "amp": amp,
               "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
               "epochs_run": len(history),
               "best_epoch": best["epoch"] + 1, "wall_seconds": round(time.time() - t0, 2), "history": history,
               "seed": int(cfg["seed"]), "n_train": int(len(X)), "selected_on": selected_on, **(meta or {})}
    for split, (Xs, ys) in data.items():
        score, logits = _scores(model, Xs, device, multitask)
        for key, value in auroc_aupr(any_task(ys), score).items():
            metrics[f"{split}_{key}"] = value
        if multitask:
            metrics[f"{split}_task_auroc"] = mean_task_auroc(ys, logits)
    write_json(out_dir / "metrics.json", metrics)
    return metrics
