"""Files only this user may read: the data folder 0700, its files 0600 (security.md B-44).

The folder holds the orgs' database (hashes of tokens and secrets, learners' password hashes,
records), TLS and signing keys and the state file. Other accounts on a shared machine (a
JupyterHub node, a lab PC) must not read them. On Windows the modes are not enforced (the
folder inherits the user profile's ACLs).

Example::

    folder = private_dir(Path(".localorg"))
    private_file(folder / "localorg.sqlite3")     # created or tightened to 0600
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600
OWN_MARKERS = ("localorg.sqlite3", "server.json", "tls")


def private_dir(path: Path) -> Path:
    """Create ``path`` 0700, or tighten it to 0700 when it is already a local-org folder.

    An existing folder that holds none of our files (say ``--data /tmp`` by mistake) keeps its
    mode: changing a shared folder's mode would break other programs.
    """
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)  # umask may loosen: chmod too
        _chmod(path, DIR_MODE)
    elif any((path / name).exists() for name in OWN_MARKERS):
        _chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing, else tighten it to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE))
    except FileExistsError:
        pass
    _chmod(path, FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, 0600 from the start (keys, state, secrets)."""
    tmp = Path(str(path) + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    _chmod(tmp, FILE_MODE)  # an existing .tmp keeps its old mode through O_CREAT
    os.replace(tmp, path)


def write_private_text(path: Path, text: str) -> None:
    """:func:`write_private` for UTF-8 text."""
    write_private(path, text.encode("utf-8"))


def _chmod(path: Path, mode: int) -> None:
    if os.name == "nt":
        return
    try:
        if (os.stat(path).st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        pass  # not ours to change (another owner): leave it, SQLite/open will say more
