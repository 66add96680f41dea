"""Models trained to a common clean accuracy, for comparisons at matched accuracy.

Accuracies are measured on the validation examples `train` holds out of the training set
(`validation_set`), never on the test points that are later evaluated or attacked. Each model
is first trained with ``config`` (validation-loss early stopping); the target is the lowest
validation accuracy these runs reach. Each model is then trained again from the same
initialisation and seed, hence along the same trajectory up to where its first run stopped,
evaluated every ``eval_every`` steps on |validation accuracy − target|, and the checkpoint
closest to the target is kept. The model that set the target meets it exactly (every epoch end
is an evaluation point); the others come as close as their trajectories allow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tqdm.auto import tqdm

from bregmalib.data import Dataset
from bregmalib.train._loop import Model, TrainConfig, accuracy, train, validation_set


@dataclasses.dataclass(frozen=True)
class MatchedModels:
    """The matched checkpoints, their validation accuracy, the target and the optimisation step
    each was taken at, and the validation accuracy of each early-stopped first run."""

    models: dict[str, Model]
    accuracy: dict[str, float]
    target: float
    steps: dict[str, int]
    early_stopped_accuracy: dict[str, float]

    @property
    def spread(self) -> float:
        """Largest minus smallest matched accuracy."""
        values = list(self.accuracy.values())
        return max(values) - min(values)


def train_matched(
    models: Mapping[str, Model],
    data: Dataset,
    config: TrainConfig,
    *,
    eval_every: int = 2,
    progress: bool = True,
) -> MatchedModels:
    """Train every model of ``models`` (name → untrained model) to the common validation
    accuracy described in the module docstring. ``config`` needs a validation split."""
    if not models:
        raise ValueError("train_matched needs at least one model")
    if config.validation_fraction == 0:
        raise ValueError("train_matched needs a validation split (validation_fraction > 0)")
    x, y = validation_set(data, config)
    bar = tqdm(total=2 * len(models), desc="matched training", disable=not progress, leave=False)
    first = {}
    for name, model in models.items():
        first[name] = train(model, data, config, progress=False)
        bar.update()
    reached = {name: accuracy(run.model, x, y) for name, run in first.items()}
    target = min(reached.values())
    matched, steps = {}, {}
    for name, model in models.items():
        again = dataclasses.replace(
            config,
            epochs=int(first[name].history[-1]["epoch"]),
            patience=None,
            eval_every=eval_every,
        )
        run = train(
            model,
            data,
            again,
            score=lambda m: abs(accuracy(m, x, y) - target),
            stop_at=0.5 / y.shape[0],
            progress=False,
        )
        matched[name], steps[name] = run.model, run.best_step
        bar.update()
    bar.close()
    return MatchedModels(
        models=matched,
        accuracy={name: accuracy(m, x, y) for name, m in matched.items()},
        target=target,
        steps=steps,
        early_stopped_accuracy=reached,
    )
