"""Compiles the translation catalogs as part of every install (``pip install -e .`` too)."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def _compile_catalogs() -> None:
    path = Path(__file__).resolve().parent / "mediation" / "catalogs.py"
    spec = importlib.util.spec_from_file_location("_fengqiao_catalogs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for written in module.compile_catalogs():
        print(f"compiled {written}")


class BuildPyWithCatalogs(build_py):
    def run(self):
        _compile_catalogs()
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogs})
