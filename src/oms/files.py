"""Files the service writes on its machine (the SQLite database and its side files, the demo's keys):
created readable by their owner only, whatever the umask, since they hold every order and customer."""

import os
from pathlib import Path


def private_folder(path: Path) -> None:
    """Create the folder ``path`` (and its missing parents) for its owner only (0700). A folder that exists
    is left as it is: the operator chose it."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Create ``path`` empty for its owner only (0600) if it does not exist. SQLite gives its ``-wal``,
    ``-shm`` and ``-journal`` files the database file's permissions, so creating the database file so is
    enough for all of them."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
