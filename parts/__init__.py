"""Spare parts: pure rules of the stock ledger, the catalogue import and who may book what."""
