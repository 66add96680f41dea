"""bregmalib.train.train_matched: models trained to a common clean accuracy on the validation
examples that training holds out (never on test points)."""

import jax
import numpy as np
import pytest

from bregmalib.data import load_digits
from bregmalib.nn import make_mlp
from bregmalib.train import TrainConfig, accuracy, train, train_matched, validation_set
from bregmalib.train._loop import _split_indices

CONFIG = TrainConfig(learning_rate=1e-2, epochs=3, patience=2)


@pytest.fixture(scope="module")
def digits():
    return load_digits("tanh")


@pytest.fixture(scope="module")
def untrained():
    """Two standard networks of one shape (one compilation), from two initialisations."""
    return {
        f"seed {k}": make_mlp("tanh", (64, 16), 10, "standard", key=jax.random.key(k))
        for k in (3, 4)
    }


@pytest.fixture(scope="module")
def matched(digits, untrained):
    return train_matched(untrained, digits, CONFIG, progress=False)


def test_the_target_is_the_lowest_early_stopped_accuracy(digits, untrained, matched) -> None:
    x, y = validation_set(digits, CONFIG)
    first = train(untrained["seed 3"], digits, CONFIG, progress=False).model
    assert matched.early_stopped_accuracy["seed 3"] == accuracy(first, x, y)
    assert matched.target == min(matched.early_stopped_accuracy.values())
    assert max(matched.early_stopped_accuracy.values()) > matched.target  # not trivially matched


def test_every_model_meets_the_target(digits, matched) -> None:
    """Each matched accuracy is that of the returned model; the model that set the target meets
    it exactly (same trajectory), and the other one comes within one point of it."""
    x, y = validation_set(digits, CONFIG)
    for name, model in matched.models.items():
        assert matched.accuracy[name] == accuracy(model, x, y)
    setter = min(matched.early_stopped_accuracy, key=matched.early_stopped_accuracy.__getitem__)
    assert matched.accuracy[setter] == matched.target
    assert matched.spread <= 0.01


def test_the_validation_set_is_the_split_train_holds_out(digits, untrained) -> None:
    """One epoch, one evaluation: the validation accuracy `train` records is the accuracy on
    `validation_set`; its examples are a seeded part of the training set, never fitted."""
    config = TrainConfig(learning_rate=1e-2, epochs=1, patience=None, seed=7)
    run = train(untrained["seed 3"], digits, config, progress=False)
    x, y = validation_set(digits, config)
    assert run.history[0]["val_accuracy"] == accuracy(run.model, x, y)
    n = np.shape(digits.x_train)[0]
    fitted, held_out = _split_indices(n, config)
    assert held_out.size == round(config.validation_fraction * n)
    assert np.array_equal(np.sort(np.concatenate([fitted, held_out])), np.arange(n))
    assert np.array_equal(x, np.asarray(digits.x_train)[held_out])
    other = validation_set(digits, TrainConfig(seed=8))[0]
    assert not np.array_equal(x, other)  # the split follows the seed


def test_bad_input_is_refused(digits, untrained) -> None:
    with pytest.raises(ValueError, match="validation split"):
        train_matched(untrained, digits, TrainConfig(validation_fraction=0.0))
    with pytest.raises(ValueError, match="at least one model"):
        train_matched({}, digits, CONFIG)
