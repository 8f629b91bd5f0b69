"""``python -m eduguard.discovery.model build [--output PATH]``: rebuild the shipped column model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eduguard.discovery.model")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="train the column model on the corpus")
    build.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    from eduguard.discovery.model.build import build_shipped  # needs the `model` extra
    from eduguard.discovery.model.infer import model_path

    output = args.output or model_path()
    model = build_shipped(output)
    print(
        f"{output}: {len(model.classes)} types, {len(model.buckets)} buckets, "
        f"corpus {str(model.meta['corpus_sha256'])[:12]}, weights {model.meta['weights_sha256']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
