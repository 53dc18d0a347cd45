"""The playground: a network trained live in the browser on 2-D data, with the maths on screen.

``chainrule playground`` serves one page (``static/``) from a small Starlette app (``server``,
started by ``serve``); each tab is a ``session.Session`` over the library's own engines, training
loop, ``explain`` and ``gradcheck``. The browser only draws and asks: every number on the page
comes from the server. Only its own page may talk to it (``guard``: the Host and Origin
checks), and every message is parsed and its fields checked in one place (``requests``). The
web stack (starlette, uvicorn, websockets) is imported only by ``server``, ``serve`` and
``guard``.
"""
