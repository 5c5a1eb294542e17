"""The capstone exercise: one app (Tally) with every part of factor VI, graded under every fault
at once. Its contract is docs/capstone.md."""
from .checks import CHECKS

__all__ = ["CHECKS"]
