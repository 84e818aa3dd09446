"""dustscene: dusty galaxy scenes, forward models, priors and SED posteriors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dustscene")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
