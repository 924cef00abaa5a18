"""The three architectures of the Deep Motif Dashboard, each mapping (N, 4, L) one-hot → (N,) logits of the
positive (bound) class. All accept any length L >= 1 (convolutions are padded), which the temporal
output scores of prefixes need.

Both strands: every architecture takes ``strands`` (``single``, ``mean`` or ``max``). ``single`` scores the
sequence as given (the paper); ``mean`` and ``max`` also score its reverse complement with the same weights
and combine the two scores (DeepBind scored both strands), so a site counts the same on either strand. The
setting is a model parameter, kept in the checkpoint, so evaluation and every interpretation method explain
the score the tables report.

Multi-task variants (``tasks`` > 1 outputs, e.g. one per planted motif as in Koo & Ploenzke 2021) train on
:meth:`task_logits` (N, tasks) and still score with ``forward``: the log-odds that *any* task is positive
(:func:`any_log_odds`), so evaluation and every interpretation method explain one score per sequence.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from deepmotif.architectures import ARCHITECTURES
from deepmotif.architectures import REGISTRY as ARCHITECTURE_REGISTRY


def _activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "exp":
        return _Exp()
    raise ValueError(f"activation must be 'relu' or 'exp', got {name!r}")


class _Exp(nn.Module):
    """Exponential activation (Koo & Ploenzke 2021) for the first layer."""

    def forward(self, x):
        return torch.exp(x)


def any_log_odds(logits: torch.Tensor) -> torch.Tensor:
    """(N, K) independent task logits → (N,) log-odds that at least one task is positive.

    With ``p_k = sigmoid(l_k)`` and ``S = sum_k softplus(l_k) = -log prod_k (1 - p_k)``, the log-odds of
    ``1 - prod_k (1 - p_k)`` is ``log(e^S - 1)``. Its gradient is ``sigmoid(l_k) e^S / (e^S - 1)`` per task:
    about 1 for every task that is positive and about 0 for the others, so an attribution of this score shows
    every motif a sequence carries (a max over tasks would show only the strongest). One task: the logit.
    """
    if logits.shape[-1] == 1:
        return logits.squeeze(-1)
    total = nn.functional.softplus(logits).sum(dim=-1).clamp_min(1e-30)
    return total + torch.log(-torch.expm1(-total))


#: how a model combines the scores of a sequence and of its reverse complement
STRANDS = ("single", "mean", "max")


def reverse_complement(x: torch.Tensor) -> torch.Tensor:
    """(N, 4, L) one-hot A/C/G/T → its reverse complement (complement = the channels reversed)."""
    return x.flip(dims=(-2, -1))


def combine_strands(forward: torch.Tensor, reverse: torch.Tensor, strands: str) -> torch.Tensor:
    """The score of both strands from the forward strand's and the reverse complement's (``mean``/``max``)."""
    if strands == "mean":
        return (forward + reverse) / 2
    if strands == "max":
        return torch.maximum(forward, reverse)
    raise ValueError(f"strands must be one of {', '.join(STRANDS)}, got {strands!r}")


def strands_of(model: nn.Module) -> str:
    """A model's ``strands`` setting; ``single`` for any module that has none (e.g. a hand-built model)."""
    return getattr(model, "strands", "single")


@contextlib.contextmanager
def one_strand(model: nn.Module):
    """Within the block ``model`` scores the sequence as given (``strands`` "single"); methods that must
    see each strand's network on its own (DeepLIFT's hooks, the temporal fast path) combine the strands
    themselves. Yields the model's own ``strands`` setting."""
    strands = strands_of(model)
    model.strands = "single"
    try:
        yield strands
    finally:
        model.strands = strands


@contextlib.contextmanager
def explaining_task(model: nn.Module, task: int):
    """Within the block a multi-task ``model`` scores with task ``task``'s own logit instead of
    :func:`any_log_odds` of all tasks (``forward`` and ``head``, so every interpretation method explains that
    task: Koo & Ploenzke explain each class of a multi-task model on its own positives)."""
    tasks = model.linear.out_features
    if not 0 <= task < tasks:
        raise ValueError(f"task must be in [0, {tasks}), got {task}")
    model.task = int(task)
    try:
        yield model
    finally:
        model.task = None


class _Head(nn.Module):
    """The scoring head shared by the architectures: dropout, linear layer to ``tasks`` logits, one score,
    of one strand or of both (``strands``, see the module docstring)."""

    strands = "single"
    task = None  # a task whose own logit is the score (:func:`explaining_task`); None: any task

    def _set_strands(self, strands: str) -> None:
        if strands not in STRANDS:
            raise ValueError(f"strands must be one of {', '.join(STRANDS)}, got {strands!r}")
        self.strands = strands

    def _both(self, score, x: torch.Tensor) -> torch.Tensor:
        if self.strands == "single":
            return score(x)
        both = score(torch.cat([x, reverse_complement(x)]))  # one pass over both strands
        return combine_strands(both[:len(x)], both[len(x):], self.strands)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """(N, features) pooled features of one strand → (N,) score (:func:`any_log_odds` of the task
        logits, or the logit of :attr:`task` when one is set)."""
        logits = self.linear(self.dropout(h))
        return any_log_odds(logits) if self.task is None else logits[:, self.task]

    def task_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) → (N, tasks) logits of every task (what multi-task training fits), per ``strands``."""
        return self._both(lambda s: self.linear(self.dropout(self.pooled(s))), x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._both(lambda s: self.head(self.pooled(s)), x)


def _pool_time(h: torch.Tensor, how: str) -> torch.Tensor:
    """(N, T, H) → (N, H) by mean or max over time."""
    if how == "mean":
        return h.mean(dim=1)
    if how == "max":
        return h.max(dim=1).values
    raise ValueError(f"pool must be 'mean' or 'max', got {how!r}")


class CNN(_Head):
    """Convolutions (widths ``kernels``) with ReLU and max-pool between them, global max, dropout, linear.

    Parameters
    ----------
    filters : int
        Filters per convolution layer (paper: 128).
    kernels : sequence of int
        Widths of the convolution layers (paper: 9, 5, 3).
    pool : int
        Max-pool width after every layer but the last.
    first_pool : int, optional
        Max-pool width after the first layer instead of ``pool`` (Koo & Ploenzke 2021's CNN-25 / CNN-50:
        a wide first pooling keeps first-layer filters from learning partial motifs); None = ``pool``.
    dropout : float
        Dropout before the linear layer.
    activation : str
        ``relu`` or ``exp`` for the first layer (later layers use ReLU).
    batchnorm : bool
        Batch normalisation after each convolution (not in the paper; makes small data sets train in a few
        epochs instead of sitting at chance for many).
    tasks : int
        Outputs of the linear layer (1: the binary model; more: multi-task, see the module docstring).
    strands : str
        ``single``, ``mean`` or ``max``: the score of the sequence as given, or of both strands (module
        docstring).
    """

    def __init__(self, filters: int = 128, kernels=(9, 5, 3), pool: int = 2, dropout: float = 0.5,
                 activation: str = "relu", batchnorm: bool = True, first_pool: int | None = None,
                 tasks: int = 1, strands: str = "single"):
        super().__init__()
        self._set_strands(strands)
        layers, width = [], 4
        for i, k in enumerate(kernels):
            layers.append(nn.Conv1d(width, filters, k, padding=k // 2))
            if batchnorm:
                layers.append(nn.BatchNorm1d(filters))
            layers.append(_activation(activation) if i == 0 else nn.ReLU())
            width_i = first_pool if i == 0 and first_pool else pool
            if i < len(kernels) - 1 and width_i > 1:
                layers.append(nn.MaxPool1d(width_i, ceil_mode=True))
            width = filters
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(filters, int(tasks))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) → (N, filters) global max of the last convolution."""
        return self.features(x).max(dim=2).values


class RNN(_Head):
    """Bidirectional LSTM over the one-hot bases, pooled over time (paper: mean), dropout, linear.

    Parameters
    ----------
    hidden : int
        LSTM units per direction (paper: 32).
    layers : int
        Stacked LSTM layers.
    pool : str
        ``mean`` (paper) or ``max`` over time.
    dropout : float
        Dropout before the linear layer.
    tasks : int
        Outputs of the linear layer (see :class:`CNN`).
    strands : str
        ``single``, ``mean`` or ``max`` (see :class:`CNN`).
    """

    def __init__(self, hidden: int = 32, layers: int = 1, pool: str = "max", dropout: float = 0.5,
                 input_size: int = 4, one_hot_input: bool = True, tasks: int = 1, strands: str = "single"):
        super().__init__()
        self._set_strands(strands)
        self.pool = pool
        self.lstm = nn.LSTM(input_size, hidden, num_layers=layers, batch_first=True, bidirectional=True)
        _init_lstm(self.lstm, lecun_input=one_hot_input)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(2 * hidden, int(tasks))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, L) → (N, L, 2 * hidden) LSTM outputs."""
        return self.lstm(x.transpose(1, 2))[0]

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) → (N, 2 * hidden) LSTM outputs pooled over time."""
        return _pool_time(self.encode(x), self.pool)


class CNNRNN(RNN):
    """One convolution layer (width ``kernel``, ReLU, optional max-pool) feeding a bidirectional LSTM."""

    def __init__(self, filters: int = 128, kernel: int = 9, conv_pool: int = 1, hidden: int = 32,
                 layers: int = 1, pool: str = "max", dropout: float = 0.5, activation: str = "relu",
                 tasks: int = 1, strands: str = "single"):
        super().__init__(hidden=hidden, layers=layers, pool=pool, dropout=dropout, input_size=filters,
                         one_hot_input=False, tasks=tasks, strands=strands)
        conv = [nn.Conv1d(4, filters, kernel, padding=kernel // 2), _activation(activation)]
        if conv_pool > 1:
            conv.append(nn.MaxPool1d(conv_pool, ceil_mode=True))
        self.conv = nn.Sequential(*conv)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return super().encode(self.conv(x))


def _init_lstm(lstm: nn.LSTM, lecun_input: bool = False) -> None:
    """Orthogonal recurrent weights and forget-gate bias 1: the usual fix for LSTMs that do not start to learn.

    ``lecun_input`` (the RNN on one-hot bases): input weights LeCun-normal, std 1 / sqrt(input size) = 0.5.
    PyTorch's default, U(±1/sqrt(hidden)), gives a one-hot base a gate pre-activation of about ±0.1, so at
    the start the gates hardly depend on the input and the LSTM is close to a linear running sum of the
    bases; against dinucleotide-shuffled negatives (same base and dinucleotide counts) that has no signal to
    follow. Measured on the synthetic default (2,000 positives): with it the RNN leaves chance after 10-25
    epochs (GATA1, MAFK), without it never. The CNN-RNN's LSTM reads convolution features and keeps the
    default (with LeCun there, synthetic GATA1 fell from test AUROC 0.87 to 0.68 with one of two seeds).
    """
    for name, p in lstm.named_parameters():
        if "weight_ih" in name and lecun_input:
            nn.init.normal_(p.data, 0.0, p.shape[1] ** -0.5)
        elif "weight_hh" in name:
            for i in range(4):
                nn.init.orthogonal_(p.data[i * lstm.hidden_size:(i + 1) * lstm.hidden_size])
        elif "bias" in name:
            p.data.zero_()
            p.data[lstm.hidden_size:2 * lstm.hidden_size] = 0.5  # forget gate; b_ih + b_hh = 1


def model_classes() -> dict[str, type]:
    """Architecture name → its class (from :data:`deepmotif.architectures.REGISTRY`)."""
    return {name: globals()[a.model_class] for name, a in ARCHITECTURE_REGISTRY.items()}


def build_model(arch: str, /, **params) -> nn.Module:
    """Instantiate an architecture by name (``cnn``, ``rnn``, ``cnnrnn``) with keyword sizes from config.

    A named variant (config ``models: {cnn_exp: {arch: cnn, activation: exp}}``) passes its base class as
    the keyword ``arch`` (:func:`deepmotif.config.model_params` adds it): ``build_model("cnn_exp",
    arch="cnn", activation="exp", ...)``; checkpoints keep the variant's name and these parameters. A
    setting of None takes the class's default (as :func:`deepmotif.config.model_params` leaves it out), so
    the defaults' ``models`` sections build as they are.
    """
    classes = model_classes()
    params = {k: v for k, v in params.items() if v is not None}
    base = params.pop("arch", arch)
    if base not in classes:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)} (or a variant whose `arch` "
                         f"names one), got {arch!r}")
    arch = base
    if "kernels" in params:
        params["kernels"] = tuple(params["kernels"])
    return classes[arch](**params)
