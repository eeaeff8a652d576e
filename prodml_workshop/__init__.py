"""Helper package of the prodml-workshop course.

One sub-package or module per course topic: ``packaging``, ``serving``, ``scaling``,
``monitoring``, plus ``data`` (the datasets), ``penguin_model`` (the course's model),
``setup_check`` (is this machine ready for the workshop?), ``course`` (the session map) and
``exercises`` (the checker and one module of questions per notebook).
Importing the package is cheap: heavy libraries are imported by the modules that need them.
"""

__version__ = "0.1.0"
