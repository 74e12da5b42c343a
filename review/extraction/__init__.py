"""Data extraction driven by the protocol's schema: studies and their reports (`studies`), the
form and its value checks (`form`), values in the event log and their exports (`values`), dual
extraction and reconciliation (`reconcile`), a reviewer's session (`session`), loading CSV files
(`load`)."""
from __future__ import annotations

__all__: list[str] = []
