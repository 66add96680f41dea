"""bregmalib.train.train_matched: models trained to a common clean accuracy."""

import jax
import pytest

from bregmalib.data import load_digits
from bregmalib.nn import make_mlp
from bregmalib.train import TrainConfig, accuracy, train, train_matched

CONFIG = TrainConfig(learning_rate=1e-2, epochs=3, patience=2)
N_EVAL = 100


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
    x, y = digits.x_test[:N_EVAL], digits.y_test[:N_EVAL]
    return train_matched(untrained, digits, x, y, CONFIG, progress=False)


def test_the_target_is_the_lowest_early_stopped_accuracy(digits, untrained, matched) -> None:
    x, y = digits.x_test[:N_EVAL], digits.y_test[:N_EVAL]
    first = train(untrained["seed 3"], digits, CONFIG, progress=False).model
    assert matched.early_stopped_accuracy["seed 3"] == accuracy(first, x, y)
    assert matched.target == min(matched.early_stopped_accuracy.values())
    assert max(matched.early_stopped_accuracy.values()) > matched.target  # not trivially matched


def test_every_model_meets_the_target(digits, matched) -> None:
    """Each matched accuracy is that of the returned model; the model that set the target meets
    it exactly (same trajectory), and here the other one does too."""
    x, y = digits.x_test[:N_EVAL], digits.y_test[:N_EVAL]
    for name, model in matched.models.items():
        assert matched.accuracy[name] == accuracy(model, x, y)
    assert matched.accuracy == {name: matched.target for name in matched.models}
    assert matched.spread == 0.0


def test_bad_input_is_refused(digits, untrained) -> None:
    x, y = digits.x_test[:N_EVAL], digits.y_test[:N_EVAL]
    with pytest.raises(ValueError, match="validation split"):
        train_matched(untrained, digits, x, y, TrainConfig(validation_fraction=0.0))
    with pytest.raises(ValueError, match="at least one model"):
        train_matched({}, digits, x, y, CONFIG)
