"""bregmalib: Lipschitz regularity and invertibility of Bregman neural networks.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022.
"""

__version__ = "0.1.0"
