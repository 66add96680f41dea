"""Offline, seeded data: digits and two spirals scaled into an activation's interval, MNIST,
Fashion-MNIST and CIFAR-10 read from local files (never downloaded), and 2-D toy densities
(two moons, eight Gaussians, checkerboard)."""

from bregmalib.data._datasets import (
    DATASETS,
    Dataset,
    load_dataset,
    load_digits,
    load_two_spirals,
)
from bregmalib.data._density import (
    DENSITIES,
    checkerboard,
    eight_gaussians,
    sample_density,
    two_moons,
)
from bregmalib.data._images import (
    IMAGE_SHAPES,
    load_images,
    read_cifar10,
    read_idx,
    read_idx_set,
)
from bregmalib.data._scale import DEFAULT_MARGIN, IntervalScaler, fit_scaler, target_segment

__all__ = [
    "DATASETS",
    "DEFAULT_MARGIN",
    "DENSITIES",
    "IMAGE_SHAPES",
    "Dataset",
    "IntervalScaler",
    "checkerboard",
    "eight_gaussians",
    "fit_scaler",
    "load_dataset",
    "load_digits",
    "load_images",
    "load_two_spirals",
    "read_cifar10",
    "read_idx",
    "read_idx_set",
    "sample_density",
    "target_segment",
    "two_moons",
]
