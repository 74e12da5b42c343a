"""Words the reviewer reads for the screening stages and progress (never the code names)."""
from __future__ import annotations

__all__ = ["STAGE_NAMES", "stage_name", "progress_text", "in_words", "meaning_status",
           "meaning_problem"]

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


def meaning_status(ranker) -> str | None:
    """While a model that reads the records' meaning embeds them: how far it has got."""
    progress = getattr(ranker, "meaning_progress", None)
    if progress is None:
        return None
    done, total = progress
    return f"Reading the records' meaning for the AI order: {done:,} / {total:,} records"


def meaning_problem(ranker) -> str | None:
    """When the records' meaning could not be read: what that means for the reviewer."""
    error = getattr(ranker, "meaning_error", None)
    if error is None:
        return None
    detail = str(error).strip() or type(error).__name__
    return (f"The AI order could not read the records' meaning ({detail}); it goes on from "
            f"their words alone, and your decisions are saved as usual. Re-run the session cell "
            f"to try again; if the error comes back, report it.")
