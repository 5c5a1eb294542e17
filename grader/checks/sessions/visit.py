"""Speaking the ``sessions`` contract: each request a check sends, and the answer it must get.

Every helper sends one request for one client (a user agent with its own cookie jar) and returns
what the answer means: a user's name, a cart, or None for a 401 (no live session). An answer the
contract does not allow raises ContractError, whose message is the learner's feedback.
"""
from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field

from ...platform.http import Client
from ...platform.http import Response
from ..base import Scenario
from ..feedback import ContractError
from ...i18n import Message, _

USERS = ("ada_lovelace", "grace_hopper", "alan_turing", "edsger_dijkstra", "barbara_liskov",
         "donald_knuth", "margaret_hamilton", "ken_thompson", "frances_allen", "john_backus")
ITEMS = ("tea", "scones", "jam", "clotted cream", "earl grey", "shortbread", "honey", "crumpets",
         "marmalade", "lemon curd")
LOGIN_SHAPE = _("a 200 response with JSON like {example}, the name it was given, that also sets a session "
                "cookie (a Set-Cookie header)", example='{"user": "ada_lovelace"}')
ME_SHAPE = _("200 with JSON like {example}, or 401 without a live session", example='{"user": "ada_lovelace"}')
CART_SHAPE = _("200 with JSON like {example}, or 401 without a live session", example='{"items": ["tea", "jam"]}')
LOGOUT_SHAPE = _("200, with or without a live session")


@dataclass
class Visitor:
    """One user agent of a check: who it logs in as, its cookie jar, and what it added to its cart."""

    user: str
    client: Client
    items: list[str] = field(default_factory=list)
    login: Response | None = None  # the answer to its last POST /login

    def copy_as(self, name: str) -> "Visitor":
        """Another user agent holding a copy of this one's cookies (a stolen or shared cookie)."""
        return Visitor(self.user, Client(name, copy.deepcopy(self.client.cookies)), list(self.items), self.login)


def visitors(seed: int, count: int, *, same_name: bool = False) -> list[Visitor]:
    """``count`` visitors with different names chosen by ``seed`` (the last two share one if asked)."""
    names = random.Random(seed).sample(USERS, count)
    if same_name:
        names[-1] = names[-2]
    return [Visitor(name, Client(f"client-{index + 1}")) for index, name in enumerate(names)]


def shopping(seed: int, count: int) -> list[str]:
    """``count`` different items, chosen by ``seed``."""
    return random.Random(seed * 7919 + count).sample(ITEMS, count)


def shown(items: list) -> str:
    """A list as JSON, the way the app's answers show it: ["tea", "jam"]."""
    return json.dumps(items)


def _broken(scenario: Scenario, response: Response, expected: Message) -> ContractError:
    return ContractError(response, expected, scenario.incarnation_of(response))


def login(scenario: Scenario, visitor: Visitor, worker: str | None = None) -> Response:
    """POST /login as the visitor's user; its jar keeps the cookie. ContractError unless 200 + cookie."""
    response = scenario.cluster.post("/login", {"user": visitor.user}, worker=worker, client=visitor.client)
    data = response.json()
    if response.status != 200 or not isinstance(data, dict) or data.get("user") != visitor.user \
            or not response.header("Set-Cookie"):
        raise _broken(scenario, response, LOGIN_SHAPE)
    visitor.login = response
    visitor.items = []
    return response


def me(scenario: Scenario, visitor: Visitor, worker: str | None = None) -> tuple[str | None, Response]:
    """GET /me: (the user's name, response), or (None, response) for a 401."""
    response = scenario.cluster.get("/me", worker=worker, client=visitor.client)
    if response.status == 401:
        return None, response
    data = response.json()
    user = data.get("user") if isinstance(data, dict) else None
    if response.status != 200 or not isinstance(user, str):
        raise _broken(scenario, response, ME_SHAPE)
    return user, response


def cart(scenario: Scenario, visitor: Visitor, worker: str | None = None,
         add: str | None = None) -> tuple[list | None, Response]:
    """GET /cart, or POST /cart adding ``add``: (the items, response), or (None, response) for a 401."""
    if add is None:
        response = scenario.cluster.get("/cart", worker=worker, client=visitor.client)
    else:
        response = scenario.cluster.post("/cart", {"item": add}, worker=worker, client=visitor.client)
    if response.status == 401:
        return None, response
    data = response.json()
    items = data.get("items") if isinstance(data, dict) else None
    if response.status != 200 or not isinstance(items, list):
        raise _broken(scenario, response, CART_SHAPE)
    if add is not None:
        visitor.items.append(add)
    return items, response


def logout(scenario: Scenario, visitor: Visitor, worker: str | None = None) -> Response:
    response = scenario.cluster.post("/logout", worker=worker, client=visitor.client)
    if response.status != 200:
        raise _broken(scenario, response, LOGOUT_SHAPE)
    return response
