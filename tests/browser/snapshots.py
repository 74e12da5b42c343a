"""Screenshot snapshots of the widgets, compared with a tolerance so a layout regression shows.

`compare_snapshot(locator, name, tmp_path)` screenshots the element and compares it with
`snapshots/<name>.png`: the sizes may differ by a few pixels and a small share of pixels may
differ (fonts antialias differently from machine to machine); beyond that the test fails and
the new image is kept beside the failure for a look. A missing snapshot is written (commit it);
REVIEW_UPDATE_SNAPSHOTS=1 rewrites them all after an intended change of layout.
"""
from __future__ import annotations

import os
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "snapshots"
#: Largest change of width or height, in pixels.
SIZE_TOLERANCE = 6
#: Largest share of pixels whose colour differs by more than `PIXEL_TOLERANCE` (0-255).
SHARE_TOLERANCE = 0.06
PIXEL_TOLERANCE = 48


def difference(a, b) -> float:
    """Share of pixels that differ clearly between two images (compared on their common area)."""
    from PIL import ImageChops

    width, height = min(a.width, b.width), min(a.height, b.height)
    a = a.convert("L").crop((0, 0, width, height))
    b = b.convert("L").crop((0, 0, width, height))
    diff = ImageChops.difference(a, b).point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    return (width * height - diff.histogram()[0]) / float(width * height or 1)


def compare_snapshot(locator, name: str, tmp_path: Path) -> None:
    from PIL import Image

    FOLDER.mkdir(exist_ok=True)
    expected = FOLDER / f"{name}.png"
    actual = tmp_path / f"{name}.png"
    locator.screenshot(path=str(actual), animations="disabled")
    if not expected.exists() or os.environ.get("REVIEW_UPDATE_SNAPSHOTS") == "1":
        expected.write_bytes(actual.read_bytes())
        print(f"\n[snapshot] wrote {expected}")
        return
    old, new = Image.open(expected), Image.open(actual)
    assert abs(old.width - new.width) <= SIZE_TOLERANCE and \
        abs(old.height - new.height) <= SIZE_TOLERANCE, (
        f"{name}: {new.width} × {new.height} px, the snapshot is {old.width} × {old.height} "
        f"(new image: {actual})")
    share = difference(old, new)
    assert share <= SHARE_TOLERANCE, (
        f"{name}: {share:.1%} of pixels differ from the snapshot (at most "
        f"{SHARE_TOLERANCE:.0%}); new image: {actual}")
