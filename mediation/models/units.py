from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import Level
from ..extensions import db
from .types import enum_column


class Unit(db.Model):
    """A county, township or village. ``township_id`` and ``county_id`` name the unit's own
    ancestors (or itself at that level), so a subtree is one indexed equality, not a recursion."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[Level] = mapped_column(enum_column(Level))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="joined", join_depth=2
    )

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"

    @property
    def parent_code(self) -> str | None:
        return self.parent.code if self.parent else None

    @property
    def full_name(self) -> str:
        """白壁镇西裴村: the unit's name after its township's (not the county's)."""
        parent = (
            self.parent.name if self.kind is Level.village and self.parent is not None else None
        )
        return village_full_name(self.name, parent)

    def place_under(self, parent: Unit | None) -> None:
        """Attach to ``parent`` and derive the ancestor columns."""
        self.parent = parent
        self.parent_id = parent.id if parent else None
        if self.kind is Level.county:
            self.county_id, self.township_id = self.id, None
        elif self.kind is Level.township:
            self.county_id, self.township_id = (parent.id if parent else None), self.id
        else:
            self.township_id = parent.id if parent else None
            self.county_id = parent.county_id if parent else None


def village_full_name(name: str, township_name: str | None) -> str:
    """A village's name after its township's (白壁镇 + 西裴村), for :attr:`Unit.full_name` and
    for lists that read names without loading units."""
    return f"{township_name or ''}{name}"
