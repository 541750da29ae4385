"""The release record of one signed runbook, and what BG-041 concludes from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from breakglass._time import iso_utc, parse_iso_utc

__all__ = ["RunbookRelease", "release_problems"]


@dataclass(frozen=True)
class RunbookRelease:
    """What a build produced; persisted by the store, read by BG-041."""

    doc_id: str
    version: str
    issued_at: datetime
    valid_until: datetime
    content_sha256: str
    inventory_fingerprint: str
    unsigned_pdf_sha256: str
    signed_pdf_sha256: str
    signer_fingerprint: str
    path: Path

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "version": self.version,
            "issued_at": iso_utc(self.issued_at),
            "valid_until": iso_utc(self.valid_until),
            "content_sha256": self.content_sha256,
            "inventory_fingerprint": self.inventory_fingerprint,
            "unsigned_pdf_sha256": self.unsigned_pdf_sha256,
            "signed_pdf_sha256": self.signed_pdf_sha256,
            "signer_fingerprint": self.signer_fingerprint,
            "path": str(self.path),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> RunbookRelease:
        return cls(
            doc_id=str(data["doc_id"]),
            version=str(data["version"]),
            issued_at=parse_iso_utc(str(data["issued_at"])),
            valid_until=parse_iso_utc(str(data["valid_until"])),
            content_sha256=str(data["content_sha256"]),
            inventory_fingerprint=str(data["inventory_fingerprint"]),
            unsigned_pdf_sha256=str(data["unsigned_pdf_sha256"]),
            signed_pdf_sha256=str(data["signed_pdf_sha256"]),
            signer_fingerprint=str(data["signer_fingerprint"]),
            path=Path(str(data["path"])),
        )


def release_problems(
    release: RunbookRelease | None, current_fingerprint: str, now: datetime
) -> list[str]:
    """Why the printed runbook cannot be relied on (empty when it is current).

    ``current_fingerprint`` is ``inventory_fingerprint(settings.accounts, snapshot)`` now.
    """
    if release is None:
        return ["no signed runbook has been released (run `breakglass runbook build`)"]
    problems = []
    label = f"runbook {release.doc_id} version {release.version}"
    if now >= release.valid_until:
        problems.append(
            f"{label} expired on {release.valid_until:%Y-%m-%d}; print and sign a new one"
        )
    if current_fingerprint != release.inventory_fingerprint:
        problems.append(
            f"the emergency-account inventory or credentials changed since {label} was "
            f"printed on {release.issued_at:%Y-%m-%d}; print and sign a new one"
        )
    return problems
