"""Words the reviewer reads for the screening stages and progress (never the code names)."""
from __future__ import annotations

__all__ = ["STAGE_NAMES", "stage_name", "progress_text", "in_words"]

#: Stage codes as the protocol and the store spell them -> what the screens call them.
STAGE_NAMES = {"title_abstract": "Title/abstract", "full_text": "Full text"}


def stage_name(stage: str) -> str:
    """"Title/abstract" for "title_abstract", "Full text" for "full_text"."""
    return STAGE_NAMES.get(stage, str(stage).replace("_", " ").capitalize())


def in_words(text: str) -> str:
    """`text` with every stage code replaced by the stage's name (for messages made elsewhere)."""
    for code, name in STAGE_NAMES.items():
        text = text.replace(code, name)
    return text


def progress_text(progress, stage: str | None = None) -> str:
    """A screening session's progress as a sentence, e.g. "12 / 152 screened at
    Title/abstract · 140 to go · 3 included, 8 excluded, 1 maybe"."""
    where = f" at {stage_name(stage)}" if stage else ""
    counts = [f"{progress.included} included", f"{progress.excluded} excluded",
              f"{progress.maybe} maybe"]
    if stage == "full_text" or progress.not_retrieved:
        counts.append(f"{progress.not_retrieved} not retrieved")
    return (f"{progress.screened} / {progress.total} screened{where} · {progress.remaining} to go"
            f" · {', '.join(counts)}")
