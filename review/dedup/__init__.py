"""Deduplication that keeps provenance: exact identifiers, blocked fuzzy matching, union-find
clusters, a reviewer's queue for unsure pairs, and merged records that list every source."""
from .compare import DedupOptions
from .engine import DedupResult, find_duplicates

__all__ = ["DedupOptions", "DedupResult", "find_duplicates"]
