"""Screening: decisions in the event log, sessions, prioritisation, agreement."""
