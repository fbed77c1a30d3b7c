"""Indicators (the statement's measurable targets), trials and their measurements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow

COMPARATORS = (">=", "<=")
AGGREGATES = ("mean", "min", "max", "last")
TRIAL_STATUSES = ("planned", "running", "completed", "aborted")
OUTCOMES = ("pending", "passed", "failed")


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_indicators_workspace_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32), default="")
    comparator: Mapped[str] = mapped_column(String(2))
    target: Mapped[float] = mapped_column(Float)
    aggregate: Mapped[str] = mapped_column(String(8), default="mean")
    # Specification limits, only for Cpk; the target is what "met" is judged on.
    lower_spec: Mapped[float | None] = mapped_column(Float)
    upper_spec: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Trial(Base):
    __tablename__ = "trials"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_trials_workspace_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("trials.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    line: Mapped[str] = mapped_column(String(200), default="")
    batch: Mapped[str] = mapped_column(String(200), default="")
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    # Fixed at completion (or abort); while running they are computed live.
    outcome: Mapped[str | None] = mapped_column(String(16))
    results: Mapped[dict[str, Any] | None] = mapped_column()
    # Part of the control-chart baseline (centre line and limits come from these).
    baseline: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    @property
    def etag(self) -> str:
        return f'"trial-{self.id}-v{self.version}"'


class TrialCounter(Base):
    """The highest trial number a workspace ever gave: a deleted planned trial's
    number is not given again (events and webhooks already named it)."""

    __tablename__ = "trial_counters"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class MeasurementBatch(Base):
    """One accepted POST of measurements; its client key makes a retry harmless."""

    __tablename__ = "measurement_batches"
    __table_args__ = (
        UniqueConstraint("trial_id", "client_key", name="uq_measurement_batches_trial_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    client_key: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MetricStats(Base):
    """Running aggregates per trial and metric, kept up to date by each batch so
    the live outcome costs the size of the batch, not of the trial's history."""

    __tablename__ = "trial_metric_stats"

    trial_id: Mapped[int] = mapped_column(
        ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    last_value: Mapped[float] = mapped_column(Float)
    last_recorded_at: Mapped[datetime] = mapped_column()
    # In recorded order (recorded_at, then id): the control-chart limits of a
    # baseline are its mean and average moving range, read from these.
    first_value: Mapped[float] = mapped_column(Float)
    moving_range_total: Mapped[float] = mapped_column(Float, default=0.0)


class Measurement(Base):
    __tablename__ = "measurements"
    # Ends in id, the tie-break of recorded order: "the last N points" of a
    # metric is a bounded index scan however many readings the trial holds.
    __table_args__ = (
        Index("ix_measurements_trial_metric", "trial_id", "metric", "recorded_at", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # No foreign keys: PostgreSQL checks them row by row as readings go in,
    # under the trial's lock (13 of the 21 ms 1,000 readings took). They hold by
    # construction: readings are written only with their batch, for the trial
    # it has locked, and neither a trial with readings nor a batch is ever
    # deleted (migration 0016).
    trial_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str | None] = mapped_column(String(200))
