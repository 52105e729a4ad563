"""Settings: defaults, then ``LABELER_*`` environment variables, then the ``test_config`` mapping."""

import os
import secrets
from pathlib import Path

ENV_PREFIX = "LABELER_"


def load_secret_key(instance_path: Path) -> str:
    """Return ``LABELER_SECRET_KEY``, or a random key kept in the instance folder so sessions survive restarts.

    :param instance_path: the Flask instance folder (created when missing).
    :returns: the secret key.
    """
    from_env = os.environ.get(ENV_PREFIX + "SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written owner-only: the key signs every session cookie.
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'labeler.db'}"


def database_url(instance_path: Path) -> str:
    return os.environ.get(ENV_PREFIX + "DATABASE_URL") or default_database_url(instance_path)


def secure_cookies() -> bool:
    return os.environ.get(ENV_PREFIX + "SECURE_COOKIES", "").lower() in {"1", "true", "yes"}
