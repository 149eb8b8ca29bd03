"""Checking the detector on labelled histories, through the live scoring and alert code."""
