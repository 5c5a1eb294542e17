"""The address a person's browser reaches a local port at.

A cluster's front door listens on 127.0.0.1. On a laptop that is the learner's own machine, but
under a remote Jupyter server (Binder, JupyterHub, any JupyterLab in a container) 127.0.0.1 in the
browser is the learner's laptop, not the server: only the Jupyter server itself is reachable, and
jupyter-server-proxy forwards ``{base_url}proxy/{port}/`` to a port beside it. So whenever the code
runs under a Jupyter server that has jupyter-server-proxy, the address shown is the proxied one:

- on JupyterHub and Binder, the server's base URL is ``JUPYTERHUB_SERVICE_PREFIX`` (``/user/NAME/``),
  and the address is the path under it (the hub's own host is the browser's already);
- in a kernel of a local Jupyter server (``JPY_PARENT_PID`` names the server that started it), the
  address is that server's URL plus ``proxy/PORT/``;
- anywhere else (a terminal, a script, the tests) it is ``http://127.0.0.1:PORT``.
"""
from __future__ import annotations

import os
from importlib.util import find_spec


def public_url(port: int, path: str = "/") -> str:
    """Where a browser opens ``path`` on the local ``port``; see the module's docstring."""
    base = jupyter_base() if find_spec("jupyter_server_proxy") else None
    if base is None:
        return f"http://127.0.0.1:{port}{path}"
    return f"{base.rstrip('/')}/proxy/{port}{path}"


def jupyter_base() -> str | None:
    """The base URL of the Jupyter server this process runs under, or None when there is none."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return prefix
    parent = os.environ.get("JPY_PARENT_PID")
    if not parent or not os.environ.get("JPY_SESSION_NAME"):  # a kernel a Jupyter server started
        return None
    try:
        from jupyter_server.serverapp import list_running_servers
        servers = list(list_running_servers())
    except Exception:  # no server package, or an unreadable runtime folder: not under a server we know
        return None
    for server in servers:
        if str(server.get("pid")) == parent:
            return server.get("url") or server.get("base_url")
    return None
