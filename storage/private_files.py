"""Files that hold buyers' names, phone numbers and addresses are readable by their owner only.

The SQLite database is created with mode 0600 before SQLite opens it, whatever the process's
umask; SQLite gives the files it makes beside it (``-wal``, ``-shm``, ``-journal``) the
database file's mode. A database (or side file) found readable or writable by others is
tightened to 0600 at start, with a log line saying so. Exports the command line writes (the
stats CSV) are opened the same way: ``open_private``.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

#: Read and write for the owner, nothing for the group or others.
PRIVATE = 0o600
#: What SQLite writes next to a database file ``shop.db``: ``shop.db-wal`` and so on.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_database(path: Path) -> None:
    """Make sure the SQLite database at ``path`` (and any side file of it) is the owner's
    alone: created empty with 0600 if missing (an empty file is an empty SQLite database),
    tightened if looser."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        pass
    else:
        try:
            os.fchmod(fd, PRIVATE)  # the umask may have taken bits off, never added any
        finally:
            os.close(fd)
    for file in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        tighten(file)


def tighten(file: Path) -> None:
    """A regular file others may read or write becomes 0600 (logged); a missing one is left."""
    try:
        info = file.stat()
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or not mode & 0o077:
        return
    os.chmod(file, PRIVATE)
    log.warning(
        "%s was readable by others (mode %03o); now %03o, owner only: it holds buyers' details",
        file,
        mode,
        PRIVATE,
    )


def open_private(path: Path) -> BinaryIO:
    """``path`` opened for writing from the start, as a file only its owner may read (0600,
    whatever the umask; an existing file is tightened before anything is written to it).
    Something that is not a regular file (``/dev/stdout``, a pipe) is written as it is."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, PRIVATE)
            os.ftruncate(fd, 0)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise
