"""bregmalib.nn.ResNet: the residual conv net for 8×8 images with the Bregman skip."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib.nn import VERSIONS, make_resnet

IMAGE = jnp.linspace(0.0, 1.0, 64)


@pytest.mark.parametrize("version", VERSIONS)
def test_logits_shape_and_dtype(version: str) -> None:
    dtype = jnp.float32 if version == "bregman" else jnp.float64
    model = make_resnet("atan", (2, 2, 4), 10, version, key=jax.random.PRNGKey(0), dtype=dtype)
    logits = model(IMAGE.astype(dtype))
    assert logits.shape == (10,) and logits.dtype == dtype and model.dtype == dtype
    assert model.features(IMAGE.astype(dtype)).shape == (4,)
    assert [b.stride for b in model.blocks] == [1, 2]


def test_zero_init_blocks_are_their_skip() -> None:
    """Bregman blocks with C₂ = 0, b₂ = 0: x⁺ = Sx (identity, or subsampling + σ(0) fill)."""
    model = make_resnet(
        "sigmoid",
        (2, 2, 4),
        2,
        "bregman",
        key=jax.random.PRNGKey(1),
        init="zero",
        dtype=jnp.float64,
    )
    z = model.pair.sigma(model.stem(IMAGE.reshape(1, 8, 8)))
    same, wider = model.blocks
    np.testing.assert_allclose(same(z), z, atol=1e-12)
    expected = jnp.concatenate([z[:, ::2, ::2], jnp.full((2, 4, 4), 0.5)])
    np.testing.assert_allclose(wider(z), expected, atol=1e-12)
    np.testing.assert_allclose(model.features(IMAGE), expected.mean(axis=(1, 2)), atol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "atan", "asinh"])
def test_primal_and_dual_blocks_agree(name: str) -> None:
    model = make_resnet(name, (2, 2, 4), 3, "bregman", key=jax.random.PRNGKey(2), dtype=jnp.float64)
    u = jax.random.normal(jax.random.PRNGKey(3), (2, 8, 8), jnp.float64)
    for block in model.blocks:
        np.testing.assert_allclose(
            block(model.pair.sigma(u)), model.pair.sigma(block.dual(u)), rtol=1e-9, atol=1e-12
        )
        u = block.dual(u)


def test_resnet_bad_inputs() -> None:
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match="non-decreasing"):
        make_resnet("atan", (4, 2), 10, "bregman", key=key)
    with pytest.raises(ValueError, match="odd resolution"):
        make_resnet("atan", (2, 4, 8), 10, "bregman", key=key, image_size=6)
    with pytest.raises(ValueError, match="unknown version"):
        make_resnet("atan", (2, 2), 10, "ode", key=key)
    model = make_resnet("atan", (2, 2), 10, "standard", key=key)
    with pytest.raises(ValueError, match=r"shape \(64,\)"):
        model(jnp.zeros((8, 8)))
    with pytest.raises(ValueError, match="Bregman"):
        model.blocks[0].dual(jnp.zeros((2, 8, 8)))
