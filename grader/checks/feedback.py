"""Composing learner-facing feedback: what the grader did, what it saw, why it breaks factor VI,
what to do next, and the worker's own last log lines."""
from __future__ import annotations

from ..platform.http import Response


def explain(did: str, saw: str, why: str, fix: str, logs: list | None = None) -> str:
    parts = [did, saw, why, fix]
    for incarnation in logs or []:
        who = f"{incarnation.name}, pid {incarnation.pid}"
        printed = incarnation.stdout_tail()
        if printed:
            parts.append(f"The last lines it printed (stdout of {who}):\n" + _indent(printed))
        label, text = incarnation.stderr_excerpt()
        if text:
            parts.append(f"{label.capitalize()} (stderr of {who}):\n" + _indent(text))
    return "\n".join(part.strip() for part in parts if part)


def listing(names) -> str:
    """``web.1, web.2 and web.3``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


class ContractError(Exception):
    """A response that does not follow the exercise's HTTP contract; the message is the feedback."""

    def __init__(self, response: Response, expected: str, incarnation=None):
        self.response = response
        did = f"The grader sent {response.method} {response.path} to {response.worker}."
        if response.status is None:
            saw = f"The request failed: {response.error}."
        else:
            body = response.body if len(response.body) <= 160 else response.body[:157] + "..."
            saw = f"It returned {response.status} with body {body!r}."
            if response.status >= 500:
                saw += " A 5xx status means your code raised an exception: its traceback is below."
        fix = f"The exercise expects {expected}. Fix the endpoint and run the check again."
        super().__init__(explain(did, saw, "", fix, [incarnation] if incarnation else []))
