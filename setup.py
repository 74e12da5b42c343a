"""Build hook: ship the top-level `notebooks/` and the worked example as package data.

The checkout keeps one copy of each where reviewers look for them (`notebooks/`,
`protocols/nk-exosomes/`); a wheel (or conda package) built from it gets a copy under
`review/_data/`, which `review.resources` finds first. An editable install or a checkout on
PYTHONPATH has no `_data/` and uses the top-level folders directly, so nothing is duplicated in git.
Everything else is declared in pyproject.toml.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: Folder of the checkout -> folder inside the installed `review` package.
SHIPPED = {"notebooks": "_data/notebooks", "protocols/nk-exosomes": "_data/protocols/nk-exosomes"}
#: Not needed at run time: the generators that wrote the example's files, caches.
LEFT_OUT = shutil.ignore_patterns("generate_*.py", "__pycache__", "*.pyc", ".ipynb_checkpoints")


class BuildWithData(build_py):
    """build_py, then copy the shipped folders into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders
        for source, target in SHIPPED.items():
            if not (HERE / source).is_dir():
                raise SystemExit(f"setup.py: {source}/ is missing; build from a full checkout or sdist")
            destination = Path(self.build_lib) / "review" / target
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(HERE / source, destination, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithData})
