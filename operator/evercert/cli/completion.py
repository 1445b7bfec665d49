"""`completion bash|zsh|fish`: a shell completion script for `kubectl-evercert` and `evercert`, made from
the commands' own parser, so it always lists what the installed version takes."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

SHELLS = ("bash", "zsh", "fish")
PROGRAMS = ("kubectl-evercert", "evercert")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("completion", help="print a shell completion script (bash, zsh or fish)")
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(handler=_run)


def _run(options: argparse.Namespace) -> int:
    from . import build_parser  # the whole parser, which holds this command too

    print(script(options.shell, command_options(build_parser())))
    return 0


def command_options(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Each command and its option strings ("" holds the top-level ones)."""
    found = {"": _options(parser)}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = _options(sub)
    return found


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]


def script(shell: str, commands: Mapping[str, Sequence[str]]) -> str:
    names = " ".join(name for name in commands if name)
    if shell == "fish":
        return _fish(commands, names)
    cases = "\n".join(
        f'        {name}) opts="{" ".join(flags)}" ;;' for name, flags in commands.items() if name
    )
    bash = f"""_evercert() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} command=${{COMP_WORDS[1]}} opts
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{names}" -- "$cur")); return
    fi
    case "$command" in
{cases}
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}}
complete -F _evercert {" ".join(PROGRAMS)}"""
    if shell == "zsh":
        return f"autoload -U +X bashcompinit && bashcompinit\n{bash}"
    return bash


def _fish(commands: Mapping[str, Sequence[str]], names: str) -> str:
    lines = []
    for program in PROGRAMS:
        lines.append(f'complete -c {program} -f -n "__fish_use_subcommand" -a "{names}"')
        for name, flags in commands.items():
            for flag in flags if name else ():
                lines.append(f'complete -c {program} -n "__fish_seen_subcommand_from {name}" -l {flag[2:]}')
    return "\n".join(lines)
