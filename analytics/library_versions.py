"""The versions of the numerical libraries a model was trained with, for its metadata."""

from __future__ import annotations

import platform
from importlib import metadata

_LIBRARIES = ("numpy", "scipy", "scikit-learn")


def detector_library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
