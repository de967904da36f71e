"""Prepare the process for Rasa before it is imported.

`rasa` on the command line sets these up in `rasa/__main__.py`; loading Rasa in-process means
doing the same here: telemetry off, TensorFlow quiet and limited to the machine's cores,
structlog and logging at a level that does not flood stdout, project root importable so the
custom NLU components in `bot.nlu` and the actions in `actions/` resolve.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

from bot.settings import PROJECT_ROOT

_prepared = False


def prepare_rasa_environment(log_level: str = "WARNING") -> None:
    global _prepared
    if _prepared:
        return
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
    os.environ.setdefault("LOG_LEVEL", log_level)
    # One intra-op and one inter-op thread: a turn is tiny and the gateway needs the other core.
    os.environ.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    os.environ.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root = str(PROJECT_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)

    _quiet_warnings()
    root_level = logging.getLogger().level
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow.environment import setup_tf_environment

    level = logging.getLevelName(log_level)
    configure_logging_and_warnings(level, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(level)
    _quiet_warnings()
    setup_tf_environment()
    import rasa.core.agent  # noqa: F401  (its imports add a "once" filter for deprecations)

    _quiet_warnings()  # again: Rasa's set-up and imports add filters of their own
    logging.getLogger().setLevel(root_level)
    for noisy in ("rasa", "rasa_sdk", "tensorflow", "absl", "apscheduler", "matplotlib", "sanic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    _prepared = True


def _quiet_warnings() -> None:
    """Library deprecation notices are not the operator's concern; keep stderr readable."""
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category)
