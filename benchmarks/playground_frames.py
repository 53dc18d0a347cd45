"""Playground frames per second: one frame = what the server does for each frame while the page
plays (one epoch of mini-batch steps, the scores, the output's heat map at 100x100, every neuron's
at 32x32, the gradient on the training set, and the JSON text sent to the page).

Two networks, measured side by side in alternating rounds (A B A B ...), medians:
  default: 2 features (x1, x2), hidden 4-2, 500 points (circle, half for training), batch 10
  larger:  6 features, hidden 8-8-8-8, 1000 points, batch 10
Goal (issue 13): >= 60 frames/s for the default, >= 20 for the larger, on one core (BLAS
threads are pinned to 1 before numpy loads).

--browser: also serve the page on a loopback port, play it in headless Chromium for a few
seconds per network, and count the frames the page received against those the server sent.
"""

# ruff: noqa: E402  (BLAS threads must be pinned before numpy is first imported)
from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one core, before numpy loads

import argparse
import json
import shutil
import statistics
import threading
import time

from _report import write_section

from chainrule.playground.server import AHEAD
from chainrule.playground.session import Session

NETWORKS = {
    "default": {"features": ["x1", "x2"], "layers": [4, 2], "points": 500},
    "larger": {
        "features": ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1"],
        "layers": [8, 8, 8, 8],
        "points": 1000,
    },
}
GOALS = {"default": 60, "larger": 20}


def one_frame(session: Session) -> int:
    session.train_epoch()
    return len(json.dumps(session.frame()))


def measure(rounds: int, frames: int) -> dict:
    sessions = {name: Session({**s, "lr": 0.03}) for name, s in NETWORKS.items()}
    for s in sessions.values():
        one_frame(s)  # warm up
    times = {name: [] for name in NETWORKS}
    sizes = {}
    for _ in range(rounds):
        for name, session in sessions.items():  # A B A B ...
            start = time.perf_counter()
            for _ in range(frames):
                sizes[name] = one_frame(session)
            times[name].append((time.perf_counter() - start) / frames)
    return {name: (statistics.median(t), sizes[name]) for name, t in times.items()}


def in_browser(seconds: float) -> dict:
    """Frames the page received against frames sent, playing each network for ``seconds``."""
    from playwright.sync_api import sync_playwright  # (optional: only for --browser)

    from chainrule.playground.serve import bind, server, url_of  # (the extra uvicorn)

    sock = bind("127.0.0.1", None)
    instance = server(sock)
    threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not instance.started:
        time.sleep(0.05)
    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        for name, s in NETWORKS.items():
            page = browser.new_page()
            fragment = (
                f"features={','.join(s['features'])}&layers={','.join(map(str, s['layers']))}"
            )
            page.goto(f"{url_of(sock)}#{fragment}&points={s['points']}&lr=0.03")
            page.wait_for_function("window.playground && window.playground.state.frame")
            start = page.evaluate("window.playground.state.received")
            page.click("#play")
            time.sleep(seconds)
            page.click("#play")
            page.wait_for_selector('#play[data-playing="no"]')
            time.sleep(0.3)
            sent = page.evaluate("window.playground.request('stats')")["sent"]
            received = page.evaluate("window.playground.state.received")
            found[name] = (received - start, sent - start, (received - start) / seconds)
            page.close()
        browser.close()
    instance.should_exit = True
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--frames", type=int, default=30, help="frames per round")
    parser.add_argument("--browser", type=float, default=0, help="seconds of play per network")
    parser.add_argument("--write", action="store_true", help="write the section of RESULTS.md")
    args = parser.parse_args()
    found = measure(args.rounds, args.frames)
    rows = [
        "| network | ms/frame | frames/s | goal | frame JSON (kB) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, (seconds, size) in found.items():
        rows.append(
            f"| {name} | {1000 * seconds:.2f} | {1 / seconds:.0f} | >= {GOALS[name]} | "
            f"{size / 1000:.0f} |"
        )
    body = "\n".join(rows)
    if args.browser:
        seen = in_browser(args.browser)
        body += (
            f"\n\nIn headless Chromium (page and server on this machine), {args.browser:g} s of "
            f"play per network, flow controlled (the server at most {AHEAD} frames ahead):\n\n"
            "| network | frames sent | frames received | received/s |\n| --- | --- | --- | --- |\n"
        )
        body += "\n".join(f"| {n} | {s} | {r} | {rate:.0f} |" for n, (r, s, rate) in seen.items())
    print(body)
    if args.write:
        note = (
            f"One frame: an epoch of mini-batches of 10 (default: 25 steps, larger: 50), scores, "
            f"heat maps (output 100x100, each neuron 32x32), the training-set gradient, JSON. "
            f"{args.rounds} alternating rounds x {args.frames} frames, medians; BLAS on one thread."
        )
        write_section("Playground: frames per second", note + "\n\n" + body)


if __name__ == "__main__":
    main()
