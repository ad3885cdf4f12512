"""What the reader data file turns into: findings and the report that carries them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


class FileRefused(Exception):
    """The file cannot be used as a reader data file at all (exit code 2).

    ``message`` is one sentence for the contact person, already translated;
    ``code`` is stable for programs (``file.too_large``, ``file.encrypted`` …).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Issue:
    row: int  # as the office program shows it: 1 is the top row of the sheet
    column: str  # the header as the user wrote it ("" when the problem is the row itself)
    code: str  # "id.checksum" …
    severity: Severity
    message: str  # translated, never a full ID number
    col_index: int | None = None  # 0-based column of the sheet, for the annotated copy

    def as_json(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(slots=True)
class Report:
    file: str
    sheet: str
    header_row: int
    rows: int = 0  # non-empty data rows
    valid: int = 0
    invalid: int = 0
    issues: list[Issue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # header as written for each recognised column key, and its 0-based sheet column
    columns: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.invalid == 0

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.invalid,
            "issues": [issue.as_json() for issue in self.issues],
            "ignored_columns": list(self.ignored_columns),
        }


__all__ = ["FileRefused", "Issue", "Report", "Severity", "asdict"]
