"""One of tools/'s scripts (names without .py, e.g. lab-check) loaded as a
Python module, for the tests and the tools that reuse its functions."""
import importlib.machinery
import importlib.util
import os

TOOLS = os.path.dirname(os.path.abspath(__file__))


def load(name):
    """tools/NAME as a module named NAME with '-' as '_'."""
    modname = name.replace("-", "_")
    loader = importlib.machinery.SourceFileLoader(modname, os.path.join(TOOLS, name))
    spec = importlib.util.spec_from_loader(modname, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod
