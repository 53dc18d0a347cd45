"""Playground frames per second: one frame = what the server does for each frame while the page
plays (one epoch of mini-batch steps, the scores, the output's heat map at 100x100, every neuron's
at 32x32, the gradient on the training set, and the JSON text sent to the page).

Two networks, measured side by side in alternating rounds (A B A B ...), medians:
  default: 2 features (x1, x2), hidden 4-2, 500 points (circle, half for training), batch 10
  6x8:     2 features, the largest network the page allows (6 hidden layers of 8), 500 points
Goal (issue 20): >= 100 frames/s for the default, >= 30 for 6x8, end to end, on one core (BLAS
threads are pinned to 1 before numpy loads).

--browser: also serve the page on a loopback port, play it in headless Chromium for a few
seconds per network, and count the frames the page received (each one decoded, stored and
acknowledged) against those the server sent, the frames it drew (at most one per animation
frame: the newest), and the page's own drawing time per drawn frame (``performance.now()``
around ``render``: the output map, the points, every neuron's map and wire, the cost chart;
goal: median <= 8 ms at 6x8).
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
    "6x8": {"features": ["x1", "x2"], "layers": [8] * 6, "points": 500},
}
GOALS = {"default": 100, "6x8": 30}
DRAW_GOAL_MS = 8


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
            page.evaluate("window.playground.drawTimes.length = 0")
            page.click("#play")
            time.sleep(seconds)
            page.click("#play")
            page.wait_for_selector('#play[data-playing="no"]')
            time.sleep(0.3)
            sent = page.evaluate("window.playground.request('stats')")["sent"]
            received = page.evaluate("window.playground.state.received")
            draws = page.evaluate("[...window.playground.drawTimes]")
            found[name] = (
                received - start,
                sent - start,
                (received - start) / seconds,
                len(draws) / seconds,
                statistics.median(draws),
                sorted(draws)[int(0.9 * (len(draws) - 1))],
            )
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
            "| network | frames sent | frames received | received/s | goal | drawn/s | "
            f"draw ms median | draw ms p90 | goal |\n{'| --- ' * 9}|\n"
        )
        body += "\n".join(
            f"| {n} | {s} | {r} | {rate:.0f} | >= {GOALS[n]} | {drawn:.0f} | {median:.2f} | "
            f"{p90:.2f} | <= {DRAW_GOAL_MS} |"
            for n, (r, s, rate, drawn, median, p90) in seen.items()
        )
    print(body)
    if args.write:
        note = (
            f"One frame: an epoch of mini-batches of 10 (25 steps), scores, "
            f"heat maps (output 100x100, each neuron 32x32), the training-set gradient, JSON. "
            f"{args.rounds} alternating rounds x {args.frames} frames, medians; BLAS on one thread."
        )
        write_section("Playground: frames per second", note + "\n\n" + body)


if __name__ == "__main__":
    main()
