"""What the module logged, through ``proxy_log`` or WASI stdout/stderr."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogRecord:
    level: int  # proxy_log_level_t
    level_name: str
    message: str
    context_id: int | None
    callback: str | None  # the callback that was running
    source: str = "proxy_log"  # or "stdout" / "stderr"

    def __str__(self) -> str:
        return f"[{self.level_name.lower()}] {self.message}"


class Logs(list):
    """The module's log lines, oldest first."""

    def messages(self, level: str | None = None) -> list[str]:
        wanted = level.upper() if level else None
        return [r.message for r in self if wanted is None or r.level_name == wanted]

    def text(self) -> str:
        return "\n".join(str(r) for r in self)
