"""shipyard: take a trained model to production and keep it healthy there."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("shipyard")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
