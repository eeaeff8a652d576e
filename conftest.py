"""pytest's settings for the whole repository: what ``--doctest-modules`` must not import.

``make test`` and ``make test-fast`` run the docstring examples of ``prodml_workshop``. The
Locust user file is never imported in a test process: Locust patches the standard library
(gevent's monkey-patching of ``ssl`` and ``socket``) as soon as it is imported. The service module
is not imported either: importing it stores the served model in BentoML's model store
(``~/bentoml``); real servers test it.
"""

collect_ignore = [
    "prodml_workshop/scaling/locustfile.py",
    "prodml_workshop/serving/service.py",
]
