"""Mini-batch training with optax: cross-entropy, validation-based early stopping, seeds.

Minimises the mean softmax cross-entropy of the logits (Frecon et al., ICML 2022, §5 train
BregmaNets the same way) with Adam; one epoch is a ``lax.scan`` over shuffled mini-batches.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array
from tqdm.auto import tqdm

from bregmalib.data import Dataset
from bregmalib.train._checkpoint import save


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation budget and stopping rule.

    At most ``epochs`` passes over the training set (a ``validation_fraction`` of it held out,
    seeded); stop early when the validation loss has not improved for ``patience`` epochs and
    return the parameters of the best epoch.
    """

    learning_rate: float = 3e-3
    batch_size: int = 64
    epochs: int = 100
    patience: int = 15
    validation_fraction: float = 0.1
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "learning_rate": self.learning_rate > 0,
            "batch_size": isinstance(self.batch_size, int) and self.batch_size >= 1,
            "epochs": isinstance(self.epochs, int) and self.epochs >= 1,
            "patience": isinstance(self.patience, int) and self.patience >= 1,
            "validation_fraction": 0.0 < self.validation_fraction < 1.0,
            "weight_decay": self.weight_decay >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(
                    f"{name} = {getattr(self, name)!r} is invalid (positive learning rate, "
                    "integer batch_size/epochs/patience >= 1, validation_fraction in (0, 1), "
                    "weight_decay >= 0)"
                )


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """The best model (by validation loss) and what happened on the way."""

    model: Any
    history: list[dict[str, float]]
    best_epoch: int
    stopped_early: bool
    seconds: float
    train_accuracy: float
    test_accuracy: float


def cross_entropy(model: Any, x: Array, y: Array) -> Array:
    """Mean softmax cross-entropy of ``vmap(model)(x)`` against integer labels ``y``."""
    logits = jax.vmap(model)(x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


#: examples per evaluation call: every evaluation reuses one compiled function per model
EVAL_CHUNK = 256


@eqx.filter_jit
def _chunk_metrics(model: Any, x: Array, y: Array) -> tuple[Array, Array]:
    logits = jax.vmap(model)(x)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return loss, logits.argmax(axis=1) == y


def _metrics(model: Any, x: Array, y: Array) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, in chunks of ``EVAL_CHUNK`` (padded by repeating the
    first example, which lies in the model's domain, and masked)."""
    x, y = np.asarray(x), np.asarray(y)
    n = x.shape[0]
    pad = (-n) % EVAL_CHUNK
    x = np.concatenate([x, np.repeat(x[:1], pad, axis=0)])
    y = np.concatenate([y, np.repeat(y[:1], pad, axis=0)])
    losses, hits = [], []
    for start in range(0, n + pad, EVAL_CHUNK):
        loss, hit = _chunk_metrics(
            model, x[start : start + EVAL_CHUNK], y[start : start + EVAL_CHUNK]
        )
        losses.append(np.asarray(loss))
        hits.append(np.asarray(hit))
    return float(np.concatenate(losses)[:n].mean()), float(np.concatenate(hits)[:n].mean())


def accuracy(model: Any, x: Array, y: Array) -> float:
    """Fraction of examples whose largest logit is the label."""
    return _metrics(model, x, y)[1]


@eqx.filter_jit
def _epoch(
    model: Any,
    opt_state: Any,
    optimiser: optax.GradientTransformation,
    x: Array,
    y: Array,
    key: Array,
    batch_size: int,
) -> tuple[Any, Any, Array]:
    n_batches = x.shape[0] // batch_size
    order = jax.random.permutation(key, x.shape[0])[: n_batches * batch_size]
    batches = order.reshape(n_batches, batch_size)
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


def _check_data(model: Any, data: Dataset) -> None:
    expected = getattr(model, "widths", (getattr(model, "image_size", 0) ** 2,))[0]
    if data.n_features != expected:
        raise ValueError(
            f"the model takes {expected} features but the dataset {data.name!r} has "
            f"{data.n_features}"
        )
    if data.n_classes > model.n_classes:
        raise ValueError(
            f"the dataset has {data.n_classes} classes but the model only {model.n_classes}"
        )


def train(
    model: Any,
    data: Dataset,
    config: TrainConfig = TrainConfig(),
    *,
    checkpoint: str | Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on ``data.x_train`` and evaluate the best epoch on ``data.x_test``.

    ``checkpoint``: if given, the best model so far is saved there (`save`) at every
    improvement. Every epoch appends ``{"epoch", "train_loss", "val_loss", "val_accuracy",
    "seconds"}`` to the history.
    """
    _check_data(model, data)
    x = np.asarray(data.x_train, dtype=model.dtype)
    y = np.asarray(data.y_train)
    n_val = max(1, round(config.validation_fraction * x.shape[0]))
    if x.shape[0] - n_val < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} exceeds the {x.shape[0] - n_val} training examples"
        )
    perm = np.random.default_rng(config.seed).permutation(x.shape[0])
    x_val, y_val = x[perm[:n_val]], y[perm[:n_val]]
    x_fit, y_fit = jnp.asarray(x[perm[n_val:]]), jnp.asarray(y[perm[n_val:]])
    key = jax.random.PRNGKey(config.seed)
    optimiser = optax.adamw(config.learning_rate, weight_decay=config.weight_decay)
    opt_state = optimiser.init(eqx.filter(model, eqx.is_inexact_array))
    best, best_loss, best_epoch, history = model, np.inf, 0, []
    start = time.perf_counter()
    bar = tqdm(range(1, config.epochs + 1), desc="train", disable=not progress, leave=False)
    for epoch in bar:
        key, epoch_key = jax.random.split(key)
        model, opt_state, train_loss = _epoch(
            model, opt_state, optimiser, x_fit, y_fit, epoch_key, config.batch_size
        )
        val_loss, val_acc = _metrics(model, x_val, y_val)
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(train_loss),
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "seconds": time.perf_counter() - start,
            }
        )
        bar.set_postfix(loss=f"{float(train_loss):.3f}", val_acc=f"{val_acc:.3f}")
        if val_loss < best_loss:
            best, best_loss, best_epoch = model, val_loss, epoch
            if checkpoint is not None:
                save(checkpoint, best, {"epoch": epoch, "val_loss": val_loss})
        elif epoch - best_epoch >= config.patience:
            break
    seconds = time.perf_counter() - start
    return TrainResult(
        model=best,
        history=history,
        best_epoch=best_epoch,
        stopped_early=len(history) < config.epochs,
        seconds=seconds,
        train_accuracy=accuracy(best, x, y),
        test_accuracy=accuracy(best, np.asarray(data.x_test, dtype=model.dtype), data.y_test),
    )
