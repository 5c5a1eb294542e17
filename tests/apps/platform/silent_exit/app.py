"""Broken: leaves while being imported, without a word (no traceback, nothing printed)."""
import os

os._exit(3)
