"""A tiny package vendored as a wheel by the Slipway Python sample app."""

__version__ = "1.0"


def greeting():
    """Return the greeting shown by the sample app."""
    return "Hello"
