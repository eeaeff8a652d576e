"""The session map and the notebooks it names."""

from prodml_workshop.course import SESSIONS, session_map


def test_session_map_fits_a_three_to_four_hour_workshop():
    table = session_map()
    assert 180 <= table["minutes"].sum() <= 240
    assert table["starts at"].iloc[0] == 0
    assert table["starts at"].iloc[-1] == table["minutes"].iloc[:-1].sum()


def test_every_lecture_notebook_is_on_the_map_in_order(root):
    names = [name for name, _, _ in SESSIONS]
    assert names == sorted(names)
    on_disk = sorted(p.name for p in (root / "notebooks").glob("*.ipynb"))
    assert on_disk and set(on_disk) <= set(names), set(on_disk) - set(names)


def test_readme_session_map_matches_the_package(root):
    readme = (root / "README.md").read_text()
    for name, topic, minutes in SESSIONS:
        assert f"| `{name}` | {topic} | {minutes} |" in readme, name
