"""What every resource shares: a page of items, a reference to an emergency account."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AccountRef", "In", "Page"]

T = TypeVar("T")


class In(BaseModel):
    """Base of request bodies: unknown fields are refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next`` back as ``?next=`` for the following one."""

    items: list[T]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class AccountRef(BaseModel):
    """An emergency account by object id and user principal name."""

    id: str
    upn: str | None
