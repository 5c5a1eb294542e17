"""Classroom grading: nbgrader batches whose scores come from checks run outside the learner's kernel.

- :mod:`.verdicts` grades the app a notebook's ``%%writefile`` cells write, without executing the
  notebook, and turns each check's result into the output of its graded cell;
- :mod:`.steps` holds the nbgrader preprocessors that put those verdicts in place of whatever the
  learner's kernel printed (``exercises/nbgrader_config.py`` configures them);
- :mod:`.repair` reads a submitted notebook however damaged it is, and says what it had to mend;
- :mod:`.job` grades one submission in a folder of its own; :mod:`.local` runs jobs in forked
  processes on this machine and :mod:`.remote` on a Dask cluster;
- :mod:`.course`, :mod:`.record` and :mod:`.summary` find the submissions, write the gradebook,
  ``autograded/`` and ``feedback/`` (one writer), and report; :mod:`.autograde` ties them together.
"""
