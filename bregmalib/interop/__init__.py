"""Interoperability with the official BregmaNet package (``bregmanet``, PyTorch).

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

__all__ = [
    "OFFICIAL_NAMES",
    "WRONG_OFFICIAL_INVERSE",
    "from_bregmanet",
    "identify_activation",
    "official_pair",
]
