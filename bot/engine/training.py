"""Train the Rasa model when (and only when) its inputs changed.

The fingerprint covers everything that shapes the model: config, domain, training data and the
code of the custom NLU components. `make run` calls this on every start; an unchanged project
costs one hash of a few files, not a Rasa import.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

TRAINING_INPUTS = ("config.yml", "domain.yml", "nlu_data", "bot/nlu")


def _input_files(root: Path, config: Path) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = config if name == "config.yml" else root / name
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in {".yml", ".yaml", ".py"}
            )
        elif path.exists():
            files.append(path)
    return files


def fingerprint(root: Path = PROJECT_ROOT, config: Path | None = None) -> str:
    config = config or root / "config.yml"
    digest = hashlib.sha256()
    for path in _input_files(root, config):
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def fingerprint_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".fingerprint")


def is_up_to_date(model_path: Path, config: Path | None = None) -> bool:
    stamp = fingerprint_path(model_path)
    if not model_path.exists() or not stamp.exists():
        return False
    return stamp.read_text().strip() == fingerprint(config=config)


def train(model_path: Path, *, config: Path | None = None, force: bool = False) -> bool:
    """Train into `model_path` if needed; return True when a model was trained."""
    config = config or PROJECT_ROOT / "config.yml"
    if not force and is_up_to_date(model_path, config):
        log.info("model %s is up to date; not retraining", model_path.name)
        return False
    from bot.engine.rasa_env import prepare_rasa_environment

    prepare_rasa_environment()
    from rasa.model_training import train as rasa_train

    model_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = rasa_train(
        domain=str(PROJECT_ROOT / "domain.yml"),
        config=str(config),
        training_files=[str(PROJECT_ROOT / "nlu_data")],
        output=str(model_path.parent),
        fixed_model_name=model_path.name.removesuffix(".tar.gz"),
        force_training=True,
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"training failed (code {result.code})")
    fingerprint_path(model_path).write_text(fingerprint(config=config) + "\n")
    log.info("trained %s in %.1f s", model_path.name, time.perf_counter() - started)
    return True
