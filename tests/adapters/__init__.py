"""Adapter tests: one module per provider."""
