"""Mini-batch training with optax: cross-entropy, model selection and early stopping on a
validation loss or any score, seeds.

Minimises the mean softmax cross-entropy of the logits (Frecon et al., ICML 2022, §5 train
BregmaNets the same way) with Adam; the steps between two evaluations are one ``lax.scan`` over
shuffled mini-batches.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array
from jax.typing import ArrayLike
from tqdm.auto import tqdm

from bregmalib._xla_flags import long_run_options
from bregmalib.data import Dataset
from bregmalib.nn import MLP, ResNet
from bregmalib.train._checkpoint import save

#: the models `train` fits
Model = MLP | ResNet
#: a selection criterion, lower is better
Score = Callable[[Model], float]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation budget and stopping rule.

    At most ``epochs`` passes over the training set, a seeded ``validation_fraction`` of it held
    out (0: none, then `train` needs a ``score``). The model is evaluated every ``eval_every``
    optimisation steps (None: once per epoch); training stops when the score has not improved
    for ``patience`` evaluations (None: never) and returns the parameters of the best one.
    """

    learning_rate: float = 3e-3
    batch_size: int = 64
    epochs: int = 100
    patience: int | None = 15
    validation_fraction: float = 0.1
    weight_decay: float = 0.0
    seed: int = 0
    eval_every: int | None = None

    def __post_init__(self) -> None:
        checks = {
            "learning_rate": self.learning_rate > 0,
            "batch_size": _positive_int(self.batch_size),
            "epochs": _positive_int(self.epochs),
            "patience": self.patience is None or _positive_int(self.patience),
            "validation_fraction": 0.0 <= self.validation_fraction < 1.0,
            "weight_decay": self.weight_decay >= 0,
            "eval_every": self.eval_every is None or _positive_int(self.eval_every),
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(
                    f"{name} = {getattr(self, name)!r} is invalid (positive learning rate, "
                    "integer batch_size/epochs >= 1, patience and eval_every integers >= 1 or "
                    "None, validation_fraction in [0, 1), weight_decay >= 0)"
                )


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """The best model (lowest score) and what happened on the way: one history entry per
    evaluation."""

    model: Model
    history: list[dict[str, float]]
    best_epoch: int
    best_step: int
    stopped_early: bool
    seconds: float
    train_accuracy: float
    test_accuracy: float


def cross_entropy(model: Model, x: Array, y: Array) -> Array:
    """Mean softmax cross-entropy of ``vmap(model)(x)`` against integer labels ``y``."""
    logits = jax.vmap(model)(x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


#: examples per evaluation call: every evaluation reuses one compiled function per model
EVAL_CHUNK = 256


@eqx.filter_jit
def _chunk_metrics(model: Model, x: Array, y: Array) -> tuple[Array, Array]:
    logits = jax.vmap(model)(x)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return loss, logits.argmax(axis=1) == y


def _metrics(model: Model, inputs: ArrayLike, labels: ArrayLike) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, in chunks of ``EVAL_CHUNK`` (padded by repeating the
    first example, which lies in the model's domain, and masked)."""
    x, y = np.asarray(inputs), np.asarray(labels)
    n = x.shape[0]
    pad = (-n) % EVAL_CHUNK
    x = np.concatenate([x, np.repeat(x[:1], pad, axis=0)])
    y = np.concatenate([y, np.repeat(y[:1], pad, axis=0)])
    losses, hits = [], []
    for start in range(0, n + pad, EVAL_CHUNK):
        chunk = slice(start, start + EVAL_CHUNK)
        loss, hit = _chunk_metrics(model, jnp.asarray(x[chunk]), jnp.asarray(y[chunk]))
        losses.append(np.asarray(loss))
        hits.append(np.asarray(hit))
    return float(np.concatenate(losses)[:n].mean()), float(np.concatenate(hits)[:n].mean())


def accuracy(model: Model, x: ArrayLike, y: ArrayLike) -> float:
    """Fraction of examples whose largest logit is the label."""
    return _metrics(model, x, y)[1]


def _steps(
    model: Model,
    opt_state: Any,
    optimiser: optax.GradientTransformation,
    x: Array,
    y: Array,
    batches: Array,
) -> tuple[Model, Any, Array]:
    """One optimiser step per row of ``batches`` (indices into x, y); the mean batch loss."""
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def step(carry: tuple[Any, Any], idx: Array) -> tuple[tuple[Any, Any], Array]:
        params, opt_state = carry
        loss, grads = eqx.filter_value_and_grad(
            lambda p: cross_entropy(eqx.combine(p, static), x[idx], y[idx])
        )(params)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), batches)
    return eqx.combine(params, static), opt_state, losses.mean()


_dense_steps = eqx.filter_jit(_steps)


@functools.cache
def _conv_steps(options: tuple[tuple[str, int], ...] | None) -> Callable[..., Any]:
    """`_steps` compiled with ``options`` (`long_run_options`): a convolutional ResNet's
    training steps run far longer than they compile (8 epochs on digits: 36.5 s of CPU at LLVM
    level 0, 11.3 s at level 1; an MLP's take 2.1 s and 3.8 s, so they keep the flags as set)."""
    jit_options: dict[str, Any] = {"compiler_options": None if options is None else dict(options)}
    return eqx.filter_jit(_steps, **jit_options)


def _compiled_steps(model: Model) -> Callable[..., Any]:
    """The compiled `_steps` for ``model``: `_conv_steps` for a ResNet, else `_dense_steps`."""
    if isinstance(model, ResNet):
        options = long_run_options()
        return _conv_steps(None if options is None else tuple(sorted(options.items())))
    return _dense_steps


def _schedule(config: TrainConfig, n: int) -> Iterator[tuple[int, Array]]:
    """(epoch, batch indices until the next evaluation): every epoch a seeded permutation of the
    n examples cut into full batches, in chunks of ``eval_every`` batches (default: all)."""
    key = jax.random.PRNGKey(config.seed)
    n_batches = n // config.batch_size
    every = n_batches if config.eval_every is None else config.eval_every
    for epoch in range(1, config.epochs + 1):
        key, epoch_key = jax.random.split(key)
        order = jax.random.permutation(epoch_key, n)[: n_batches * config.batch_size]
        batches = order.reshape(n_batches, config.batch_size)
        for start in range(0, n_batches, every):
            yield epoch, batches[start : start + every]


def _check_data(model: Model, data: Dataset) -> None:
    expected = model.widths[0] if isinstance(model, MLP) else model.image_size**2
    if data.n_features != expected:
        raise ValueError(
            f"the model takes {expected} features but the dataset {data.name!r} has "
            f"{data.n_features}"
        )
    if data.n_classes > model.n_classes:
        raise ValueError(
            f"the dataset has {data.n_classes} classes but the model only {model.n_classes}"
        )


def _split_indices(n: int, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the fitted and of the held-out validation examples among n training
    examples: a seeded permutation, its first ``validation_fraction`` held out (at least one
    when the fraction is positive)."""
    n_val = round(config.validation_fraction * n)
    if config.validation_fraction > 0:
        n_val = max(1, n_val)
    perm = np.random.default_rng(config.seed).permutation(n)
    return perm[n_val:], perm[:n_val]


def validation_set(data: Dataset, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The validation examples (x, y) that `train` holds out of ``data.x_train`` under
    ``config``: never fitted, and disjoint from the test set."""
    _, held_out = _split_indices(np.shape(data.x_train)[0], config)
    return np.asarray(data.x_train)[held_out], np.asarray(data.y_train)[held_out]


def _split(
    model: Model, data: Dataset, config: TrainConfig, score: Score | None
) -> tuple[tuple[Array, Array], tuple[np.ndarray, np.ndarray]]:
    """The fitted examples and the held-out validation examples (seeded)."""
    x = np.asarray(data.x_train, dtype=model.dtype)
    y = np.asarray(data.y_train)
    fitted, held_out = _split_indices(x.shape[0], config)
    if config.validation_fraction == 0 and score is None:
        raise ValueError("validation_fraction = 0 leaves no validation loss: pass a score")
    if fitted.shape[0] < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} exceeds the {fitted.shape[0]} training examples"
        )
    fit = (jnp.asarray(x[fitted]), jnp.asarray(y[fitted]))
    return fit, (x[held_out], y[held_out])


def train(
    model: Model,
    data: Dataset,
    config: TrainConfig = TrainConfig(),
    *,
    score: Score | None = None,
    stop_at: float | None = None,
    checkpoint: str | Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on ``data.x_train`` and evaluate the best model on ``data.x_test``.

    At every evaluation (`TrainConfig`) the model is scored, lower is better: by ``score(model)``
    if given, else by the validation loss; the lowest-scoring model is returned, and training
    stops as soon as a score ≤ ``stop_at``. ``checkpoint``: the best model so far is saved there
    (`save`) at every improvement. Each evaluation appends ``{"epoch", "step", "train_loss",
    "score", "seconds"}`` (and ``"val_loss"``, ``"val_accuracy"`` with a validation split) to
    the history.
    """
    _check_data(model, data)
    (x_fit, y_fit), (x_val, y_val) = _split(model, data, config, score)
    optimiser = optax.adamw(config.learning_rate, weight_decay=config.weight_decay)
    opt_state = optimiser.init(eqx.filter(model, eqx.is_inexact_array))
    steps = _compiled_steps(model)
    best, best_score, best_at, best_index, history = model, np.inf, (0, 0), 0, []
    stopped, step, start = False, 0, time.perf_counter()
    bar = tqdm(_schedule(config, x_fit.shape[0]), desc="train", disable=not progress, leave=False)
    for epoch, batches in bar:
        model, opt_state, loss = steps(model, opt_state, optimiser, x_fit, y_fit, batches)
        step += batches.shape[0]
        record = {"epoch": epoch, "step": step, "train_loss": float(loss)}
        if x_val.shape[0]:
            record["val_loss"], record["val_accuracy"] = _metrics(model, x_val, y_val)
        record["score"] = record["val_loss"] if score is None else float(score(model))
        record["seconds"] = time.perf_counter() - start
        history.append(record)
        bar.set_postfix(epoch=epoch, loss=f"{float(loss):.3f}", score=f"{record['score']:.4g}")
        if record["score"] < best_score:
            best, best_score, best_at = model, record["score"], (epoch, step)
            best_index = len(history)
            if checkpoint is not None:
                save(checkpoint, best, {"epoch": epoch, "step": step, "score": best_score})
        stale = len(history) - best_index
        if (stop_at is not None and record["score"] <= stop_at) or (
            config.patience is not None and stale >= config.patience
        ):
            stopped = True
            break
    x_train = np.asarray(data.x_train, dtype=model.dtype)
    return TrainResult(
        model=best,
        history=history,
        best_epoch=best_at[0],
        best_step=best_at[1],
        stopped_early=stopped,
        seconds=time.perf_counter() - start,
        train_accuracy=accuracy(best, x_train, data.y_train),
        test_accuracy=accuracy(best, np.asarray(data.x_test, dtype=model.dtype), data.y_test),
    )
