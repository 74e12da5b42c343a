"""Starting a review of your own: `review init DIR` lays out a protocol template and the
notebooks; filled in, `review init DIR --protocol DIR/protocol.yaml` creates the review."""
from __future__ import annotations

import json

import yaml

from review.cli import main
from review.project import open_review
from review.resources import example_protocol_dir, notebooks_dir
from review.start import TEMPLATE


def _parameters(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    return "".join(cell["source"])


def test_shipped_files_are_found():
    assert (notebooks_dir() / "10_prisma.ipynb").is_file()
    assert (example_protocol_dir() / "protocol.yaml").is_file()
    assert TEMPLATE.is_file()


def test_template_covers_every_section_of_the_example():
    """Every top-level section of the worked example's protocol is in the template."""
    example = yaml.safe_load((example_protocol_dir() / "protocol.yaml").read_text(encoding="utf-8"))
    template = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert set(example) <= set(template)


def test_init_without_protocol_lays_out_a_review(tmp_path, capsys):
    folder = tmp_path / "my-review"
    assert main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"review init {folder} --protocol {folder / 'protocol.yaml'}" in out
    assert (folder / "protocol.yaml").read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8")
    shipped = sorted(p.name for p in notebooks_dir().glob("*.ipynb"))
    assert sorted(p.name for p in (folder / "notebooks").glob("*.ipynb")) == shipped
    for name in shipped:
        assert 'review_dir: str = ".."' in _parameters(folder / "notebooks" / name)
    assert not (folder / "review.yaml").exists()  # no store until the protocol is filled in

    # The unfilled template is refused, naming the fields to fill in.
    assert main(["init", str(folder), "--protocol", str(folder / "protocol.yaml")]) == 1
    err = capsys.readouterr().err
    assert "title" in err and "review_question" in err and "searches[0].query" in err

    # A second `review init DIR` never overwrites the reviewer's protocol.
    assert main(["init", str(folder)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_filled_template_creates_the_review_in_place(tmp_path):
    folder = tmp_path / "my-review"
    assert main(["init", str(folder)]) == 0
    protocol = yaml.safe_load((folder / "protocol.yaml").read_text(encoding="utf-8"))
    protocol.update(title="Exercise for low back pain", review_question="Does exercise help?")
    protocol["framework"].update(population="Adults", intervention="Exercise", outcomes=["pain"])
    protocol["eligibility"]["include"] = ["Randomised trials"]
    protocol["searches"][0].update(name="PubMed", query="exercise AND back pain")
    (folder / "protocol.yaml").write_text(yaml.safe_dump(protocol), encoding="utf-8")
    notebook = folder / "notebooks" / "02_screen.ipynb"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = notebook.read_text(encoding="utf-8")

    assert main(["init", str(folder), "--protocol", str(folder / "protocol.yaml")]) == 0
    review = open_review(folder)
    assert review.protocol.title == "Exercise for low back pain"
    assert review.protocol_notice is None
    assert notebook.read_text(encoding="utf-8") == before  # the reviewer's notebook is kept
