"""Saved images: named by what drew them and a digest of their bytes, each picture saved once per folder."""

from __future__ import annotations

import hashlib

from agents.images import save_image

PNG = b"\x89PNG\r\n\x1a\n" + b"a plot" * 10


def test_a_picture_is_saved_under_its_stem_and_digest(tmp_path):
    path = save_image(PNG, stem="s-compare_models", mime_type="image/png", directory=tmp_path)
    assert path == tmp_path / f"s-compare_models-{hashlib.sha256(PNG).hexdigest()[:16]}.png"
    assert path.read_bytes() == PNG
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left behind


def test_the_same_picture_saved_again_is_the_same_file(tmp_path):
    # the specialist saves the plot its tool drew; the coordinator then receives it as an A2A artifact
    first = save_image(PNG, stem="demo-compare_models", mime_type="image/png", directory=tmp_path)
    again = save_image(PNG, stem="demo-peer-compare-models", mime_type="image/png", directory=tmp_path)
    assert again == first and len(list(tmp_path.iterdir())) == 1


def test_different_pictures_are_different_files(tmp_path):
    one = save_image(PNG, stem="x", mime_type="image/png", directory=tmp_path)
    other = save_image(PNG + b"!", stem="x", mime_type="image/png", directory=tmp_path)
    svg = save_image(PNG, stem="x", mime_type="image/svg+xml", directory=tmp_path)
    assert len({one, other, svg}) == 3 and svg.suffix == ".svg"


def test_the_default_folder_is_the_homes_images(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTOPLAY_HOME", str(tmp_path))
    path = save_image(PNG, stem="x", mime_type="image/png")
    assert path.parent == tmp_path / "images"
