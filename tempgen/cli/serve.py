"""The command that starts the explorer page: serve."""

from __future__ import annotations

import click

from tempgen.cli.inputs import load_model
from tempgen.cli.options import CONTEXT, DEFAULT_MODEL, note


@click.command(context_settings=CONTEXT)
@click.option("-m", "--model", "model_specs", multiple=True, metavar="MODEL",
              help="A model the page may use (repeatable): a bundled model's name, a model "
                   "file or an ARPA file.  [default: the bundled models]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; any other than this machine's own loopback "
                   "lets other machines in, and is said so.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port to listen on (0: a free one).")
@click.option("--open", "open_page", is_flag=True, help="Open the page in a browser.")
def serve(model_specs, host, port, open_page):
    """The explorer: a page where moving a temperature slider morphs the text.

    The page shows a sample at one seed as T moves (coupled randomness: nearby temperatures
    give nearby texts), every token coloured by its probability; hovering a token shows the
    distribution it was drawn from, at T and at 1, and its curve against T; clicking
    another token there branches the text. Beside it: a sweep of several temperatures, and
    calibration on a pasted text. Everything lives in the page's address, so a link
    reproduces the view, and "copy as command" gives the tempgen sample line that prints
    the same text. Ctrl-C stops the server.

    Limits of a request: a sample of at most 5,000 tokens, a sweep of at most 32
    temperatures, a prompt of at most 10,000 characters, a text to calibrate on of at most
    1,000,000 characters, a request body of at most 2 MB.

    \b
    Examples:
      tempgen serve --open
      tempgen serve -m shakespeare-char -m my.npz -m lm.arpa --port 9000
    """
    from tempgen.io.bundled import bundled_models
    from tempgen.web.app import create_app
    from tempgen.web.server import LOOPBACK, bind, hosts, run, url

    specs = list(dict.fromkeys(model_specs or [DEFAULT_MODEL, *bundled_models()]))
    models = {}
    for spec in specs:  # every model is loaded (and checked) before the server starts
        model = load_model(spec)
        models[spec if spec in bundled_models() else model.name] = model
    sock = bind(host, port)
    if host not in LOOPBACK:
        note(f"warning: listening on {host}: other machines can reach this page")
    address = url(sock, host)
    note(f"tempgen explorer at {address} (Ctrl-C stops it)")
    run(create_app(models, hosts(host, port)), sock, address if open_page else None)
