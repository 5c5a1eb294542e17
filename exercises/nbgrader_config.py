"""nbgrader settings for the factor-six exercises. nbgrader reads this file when it runs in this folder."""
import os

c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

# Every path hangs off this file's folder, so any copy of exercises/ (a clone, a test's temporary
# directory) is a complete course of its own.
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "factor-six"
c.CourseDirectory.root = HERE

# The default exchange, /srv/nbgrader/exchange, needs root to create; a gitignored folder here does not.
c.Exchange.root = os.path.join(HERE, "exchange")

# A notebook is the whole submission: its %%writefile cells write the app's files, and the graded
# cells grade what they wrote. Copies of those files lying next to a notebook (say, after someone ran
# the source notebook in place) must never be released with the solution in them, nor replace what a
# learner's notebook writes at autograding time.
# Which files those are, every exercise's registry entry says (grader/checks/registry.py).
from grader.checks.registry import written_by_notebooks  # noqa: E402 (data only; imports nothing else)

c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", *written_by_notebooks()]

# Seconds each of a learner's own cells may run at autograding time (the graded cells are graded
# outside the kernel, see below). A busy grading machine can be slow, so this is generous;
# `grader autograde` lowers it to a third of its per-submission --timeout when that is shorter.
c.Execute.timeout = 120

# Scores that a learner's kernel cannot fake. Every graded cell with grade_id `check_<name>` gets its
# points from grader check <name>, run outside the learner's kernel on the app that the notebook's
# %%writefile cells write (see grader/classroom/steps.py). Those cells are not run in the kernel at
# all, so patching `grader`, replacing it in sys.modules, redefining AssertionError or silencing
# IPython's traceback display changes nothing; the verdict is written into each cell's output just
# before nbgrader's SaveAutoGrades reads it, so the gradebook, formgrader, manual grading and
# generate_feedback work as usual. RepairCells mends damaged submissions (duplicated or deleted
# graded cells, broken metadata) instead of failing them, and ContainedExecute survives a dead kernel.
# Feedback names the property a hidden check found broken, never the hidden test's code.
from grader.classroom import chains  # noqa: E402 (plain lists of names; imports nothing else)

chains.configure(c)
