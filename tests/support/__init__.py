"""Helpers for tests that need more than Django: real servers the suite starts and stops itself."""
