"""Ingest benchmark (``python -m bench.ingest``) and the throwaway services it starts."""
