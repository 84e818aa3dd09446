"""Input/output: atomic writes, HDF5 helpers and validated observation loading."""

from .atomic import atomic_path, write_json_atomic

__all__ = ["atomic_path", "write_json_atomic"]
