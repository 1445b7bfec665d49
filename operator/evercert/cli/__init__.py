"""The `evercert` command, also installed as `kubectl-evercert` so that kubectl runs it as a plugin.

`run` and `solve` start the operator and the HTTP-01 solver; `status`, `renew`, `inspect`, `check`,
`migrate`, `version` and `completion` are for people and scripts, and reach the cluster the way
kubectl does.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__

KUBECTL_PLUGIN = "kubectl evercert"


def build_parser(prog: str = "evercert") -> argparse.ArgumentParser:
    # Imported here so that `evercert solve` (the solver Pod) loads none of the client side.
    from . import check, completion, inspect, migrate, renew, serve, status, version

    parser = argparse.ArgumentParser(prog=prog, description="ACME certificates for Kubernetes")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (status, renew, inspect, check, migrate, version, completion):
        module.add_parser(commands)
    serve.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None, prog: str = "evercert") -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["solve"]:  # the solver Pod: nothing but the server is imported
        from ..solver.server import run_from_args

        return run_from_args(args[1:])
    options = build_parser(prog).parse_args(args)
    return int(options.handler(options))


def kubectl_main() -> int:
    """The `kubectl-evercert` entry point: the same commands, named as kubectl shows them."""
    return main(prog=KUBECTL_PLUGIN)
