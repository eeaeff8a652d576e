"""pytest's settings for the whole repository: what ``--doctest-modules`` must not import, and
the ``notebook`` marker on the notebooks nbval runs.

``make test`` and ``make test-fast`` run the docstring examples of ``prodml_workshop``. The
Locust user file is never imported in a test process: Locust patches the standard library
(gevent's monkey-patching of ``ssl`` and ``socket``) as soon as it is imported. The service module
is not imported either: importing it stores the served model in BentoML's model store
(``~/bentoml``); real servers test it.
"""

import pytest

collect_ignore = [
    "prodml_workshop/scaling/locustfile.py",
    "prodml_workshop/serving/service.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark nbval's cells ``notebook``, as the tests that execute notebooks are."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
