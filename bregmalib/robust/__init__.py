"""Robustness of Bregman and standard networks: attacks and certified radii.

Attacks (FGSM, PGD with random restarts in ℓ∞ and ℓ₂, Gaussian noise) keep every perturbed input
in the ε-ball ∩ the data segment inside the activation's interval, so σ⁻¹ stays defined.
Certified ℓ₂ radii margin / (√2·L) (Tsuzuku et al. 2018) use the upper bounds of
`bregmalib.lipschitz`, globally on the data segment and locally on an ℓ₂ ball around each point,
where the margin constants of each pair of classes certify min_j (f_y − f_j)/L_yj.
"""

from bregmalib.robust._attacks import (
    AttackResult,
    fgsm,
    gaussian_noise,
    noise_accuracy,
    pgd,
)
from bregmalib.robust._certify import Certificates, certified_accuracy, certify, margins
from bregmalib.robust._domain import InputDomain, Norm, distance, input_domain, project

__all__ = [
    "AttackResult",
    "Certificates",
    "InputDomain",
    "Norm",
    "certified_accuracy",
    "certify",
    "distance",
    "fgsm",
    "gaussian_noise",
    "input_domain",
    "margins",
    "noise_accuracy",
    "pgd",
    "project",
]
