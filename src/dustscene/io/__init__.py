"""Input/output: atomic writes, logging, validated observation loading and fit files."""

from .atomic import atomic_path as atomic_path
from .atomic import write_json_atomic as write_json_atomic
from .fitfile import read_fit as read_fit
from .fitfile import write_fit as write_fit
from .observations import ObservationError as ObservationError
from .observations import load_observation as load_observation
