"""Writes. Every change to Pledge's data goes through a function here."""
