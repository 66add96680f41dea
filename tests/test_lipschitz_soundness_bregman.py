"""Soundness of the Bregman-network upper bounds on random small networks (the helpers and the
standard/Euclidean half are in test_lipschitz_soundness.py)."""

from hypothesis import given, settings
from test_lipschitz_soundness import check_network, networks


@settings(max_examples=110, deadline=None, derandomize=True)
@given(networks(versions=("bregman",)))
def test_bregman_upper_bounds_dominate_sampled_lower_bounds(spec) -> None:
    check_network(spec)
