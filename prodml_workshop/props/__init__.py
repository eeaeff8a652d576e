"""The lecture props: demos, plots, synthetic data, comparisons and probes the notebooks show.

They serve the notebooks and change with the course: no API promise. One subpackage per
session, named like its toolkit subpackage (``props.serving`` for
``notebooks/02_serving.ipynb``), which re-exports what its notebook imports. The tools to reuse
on your own model are in ``prodml_workshop.packaging``, ``.serving``, ``.scaling``,
``.monitoring`` and ``.production``, listed in the README's "Use it on your own model". Props
import the toolkit by its public names; the toolkit never imports a prop.
"""
