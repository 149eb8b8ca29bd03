"""The pictures a browser test leaves behind: one per step and role, numbered in order,
so a person can page through a flow as each user saw it."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


@dataclass
class ScreenshotBook:
    """A test's folder of screenshots, emptied when the test starts."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    @classmethod
    def for_test(cls, root: Path, test_name: str) -> ScreenshotBook:
        folder = root / _slug(test_name)
        # Pictures of an earlier run would pass for this one's.
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return cls(folder)

    async def take(self, page: Page, role: str, step: str) -> Path:
        """Saves what ``page`` shows now, the whole page, as <n>-<role>-<step>.png."""
        path = self.folder / f"{len(self.taken) + 1:02d}-{_slug(role)}-{_slug(step)}.png"
        await page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        return path
