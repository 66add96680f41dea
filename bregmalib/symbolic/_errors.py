"""The build error of the derivation engine."""


class ClaimError(ValueError):
    """A claim that breaks a rule of the engine (a build error of `bregmalib derive`)."""
