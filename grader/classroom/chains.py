"""The nbgrader preprocessor chains of factor-six, by import path (importing this module is free).

``exercises/nbgrader_config.py`` gives them to nbgrader, and ``grader autograde`` uses them whatever
a course's configuration says, so its scores come from outside the kernel in every course.
"""

SANITIZE = [
    "grader.classroom.repair.RepairCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
AUTOGRADE = [
    "grader.classroom.steps.GradeOutsideKernel",
    "grader.classroom.execution.ContainedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "grader.classroom.steps.ApplyVerdicts",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
FEEDBACK = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "grader.classroom.steps.HideHiddenTests",
]


def configure(config) -> None:
    """Put these chains into a traitlets Config (what nbgrader_config.py does with ``c``)."""
    config.Autograde.sanitize_preprocessors = list(SANITIZE)
    config.Autograde.autograde_preprocessors = list(AUTOGRADE)
    config.GenerateFeedback.preprocessors = list(FEEDBACK)
