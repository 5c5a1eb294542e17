"""Composing learner-facing feedback: what the grader did, what it saw, why it breaks factor VI,
what to do next, and the worker's own last log lines."""
from __future__ import annotations

from ..i18n import N_, Message, Text, _
from ..platform.http import Response

# The heading over a worker's stderr excerpt, by the label platform.worker's stderr_excerpt gives it.
STDERR_HEADINGS = {
    "the error it raised": N_("The error it raised (stderr of {who}):"),
    "the last lines of its stderr": N_("The last lines of its stderr (stderr of {who}):"),
}


def explain(did, saw, why, fix, logs: list | None = None) -> Text:
    """Feedback in its four parts, each a message (or verbatim text), then each listed process's
    last lines of stdout and stderr (verbatim: they are the app's own words)."""
    parts = [_stripped(part) for part in (did, saw, why, fix)]
    for incarnation in logs or []:
        who = f"{incarnation.name}, pid {incarnation.pid}"
        printed = incarnation.stdout_tail()
        if printed:
            parts.append(Text((_("The last lines it printed (stdout of {who}):", who=who), _indent(printed))))
        label, text = incarnation.stderr_excerpt()
        if text:
            heading = _(STDERR_HEADINGS[label], who=who) if label in STDERR_HEADINGS else \
                _("{label} (stderr of {who}):", label=label.capitalize(), who=who)
            parts.append(Text((heading, _indent(text))))
    return Text(tuple(part for part in parts if part))


def _stripped(part):
    """A plain string without its surrounding blanks; a message (a str too) is kept whole."""
    return part if isinstance(part, (Message, Text)) else part.strip()


def listing(names) -> Message | str:
    """``web.1, web.2 and web.3``."""
    names = list(names)
    if len(names) == 1:
        return names[0]
    return _("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


class ContractError(Exception):
    """A response that does not follow the exercise's HTTP contract; the message is the feedback."""

    def __init__(self, response: Response, expected: str, incarnation=None):
        self.response = response
        did = _("The grader sent {method} {path} to {worker}.", method=response.method, path=response.path,
                worker=response.worker)
        if response.status is None:
            saw = _("The request failed: {error}.", error=response.error)
        else:
            body = response.body if len(response.body) <= 160 else response.body[:157] + "..."
            saw = _("It returned {status} with body {body}.", status=response.status, body=repr(body))
            if response.status >= 500:
                saw = Text((saw, _("A 5xx status means your code raised an exception: its traceback is below.")), " ")
        fix = _("The exercise expects {expected}. Fix the endpoint and run the check again.", expected=expected)
        self.feedback = explain(did, saw, "", fix, [incarnation] if incarnation else [])
        super().__init__(str(self.feedback))
