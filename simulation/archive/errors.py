"""The one error of the storage layer: an archive, or an archive path, that cannot be used."""

from __future__ import annotations

from pathlib import Path


class ArchiveError(ValueError):
    """Not an archive, or an archive path that cannot be used; one line 'file: field: message'."""

    def __init__(self, file: str | Path, field: str, message: str) -> None:
        self.file, self.field, self.message = str(file), field, message
        super().__init__(f"{self.file}: {self.field}: {message}")
