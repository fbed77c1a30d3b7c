"""A manager's portfolio: organizations (all their workspaces, now and later)
plus workspaces chosen by hand. A manager without a row oversees everything."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class Portfolio(Base):
    __tablename__ = "portfolios"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PortfolioOrganization(Base):
    __tablename__ = "portfolio_organizations"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("portfolios.manager_id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PortfolioWorkspace(Base):
    __tablename__ = "portfolio_workspaces"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("portfolios.manager_id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class WeeklySummary(Base):
    """One row per manager and ISO week: the summary mail is sent once."""

    __tablename__ = "weekly_summaries"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[str] = mapped_column(String(10), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
