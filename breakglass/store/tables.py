"""SQLAlchemy 2 tables. Every table carries ``tenant_id`` (DESIGN §14).

Schema changes go through Alembic migrations in ``breakglass/store/migrations``; this
module is the model the migrations must match (a test compares them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from breakglass.store._types import UTCDateTime

__all__ = ["Base", "CheckRunRow", "FindingRow"]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class CheckRunRow(Base):
    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    complete: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]]
    #: Facts later runs compare against (CA policy fingerprints for BG-024, …).
    facts: Mapped[dict[str, Any]]

    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="FindingRow.id"
    )


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_tenant_check", "tenant_id", "check_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    check_id: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(255))
    resource_name: Mapped[str | None] = mapped_column(String(512))
    related: Mapped[list[Any]]
    message: Mapped[str] = mapped_column(Text)
    remediation: Mapped[str] = mapped_column(Text)

    run: Mapped[CheckRunRow] = relationship(back_populates="findings")
