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
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "app.py", "worker.py", "build.py", "Procfile", "static", "primes.py"]

# Each graded cell boots a small cluster of real processes. That takes about a second, but a busy
# grading machine can be much slower, and a timeout would cost the learner the points.
c.Execute.timeout = 120
