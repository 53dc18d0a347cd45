"""The playground: a network trained live in the browser on 2-D data, with the maths on screen.

``chainrule playground`` serves one page (``static/``) from a small Starlette app (``server``,
started by ``serve``); each tab is a ``session.Session`` over the library's own engines, training
loop, ``explain`` and ``gradcheck``. The browser only draws and asks: every number on the page
comes from the server. The web stack (starlette, uvicorn, websockets) is imported
only by ``server`` and ``serve``.
"""
