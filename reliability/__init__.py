"""Fault scenarios with real processes (``make reliability``): see reliability/run.py."""
