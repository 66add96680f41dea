"""Interoperability with PyTorch: the official BregmaNet package (``bregmanet``) and
``torch.nn.Sequential`` models.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022. torch and bregmanet are
optional (the ``peers`` extra) and imported only when a converter is called.
"""

from bregmalib.interop._bregmanet import (
    OFFICIAL_NAMES,
    WRONG_OFFICIAL_INVERSE,
    from_bregmanet,
    identify_activation,
    official_pair,
)
from bregmalib.interop._skip import SKIPS, package_skip_differs, skip_map
from bregmalib.interop._torch import (
    BRESNETS,
    LARGE_BRESNETS,
    agreement,
    fold_batch_norm,
    from_bresnet,
    from_sequential,
    output_difference,
    torch_outputs,
)

__all__ = [
    "BRESNETS",
    "LARGE_BRESNETS",
    "OFFICIAL_NAMES",
    "SKIPS",
    "WRONG_OFFICIAL_INVERSE",
    "agreement",
    "fold_batch_norm",
    "from_bregmanet",
    "from_bresnet",
    "from_sequential",
    "identify_activation",
    "official_pair",
    "output_difference",
    "package_skip_differs",
    "skip_map",
    "torch_outputs",
]
