"""ringtrace: a graph investigation workbench for coordinated account fraud."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ringtrace")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
