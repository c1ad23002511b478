"""fastgan.training.timeline / `fastgan timeline`: the first rows of a run's sample grids, in step order."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.cli import main
from fastgan.training.pictures import save_image_grid
from fastgan.training.timeline import first_row, timeline

SIZE = 8


def _grid_images(step):
    # 64 flat-coloured samples; sample i of the grid at `step` has the value (i + step) / 100 - 0.5.
    values = (torch.arange(64, dtype=torch.float32) + step) / 100 - 0.5
    return values[:, None, None, None].expand(64, 3, SIZE, SIZE).clone()


def _run(tmp_path, steps=(3, 6, 9)):
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"model": {"shape": [3, SIZE, SIZE]}}))
    with open(run / "metrics.jsonl", "w") as f:
        for s in steps:
            f.write(json.dumps({"step": s, "fid": 1.0, "resolution": 4 * s, "alpha": s / 10}) + "\n")
            save_image_grid(_grid_images(s), str(run / "samples" / f"step_{s:06d}.png"))
    return run


def test_first_row_is_the_top_row_of_tiles(tmp_path):
    run = _run(tmp_path, steps=(3,))
    grid = np.asarray(Image.open(run / "samples" / "step_000003.png").convert("RGB"))
    row = first_row(grid, SIZE)
    scale = row.shape[0] // (SIZE + 4)
    assert row.shape[1] == grid.shape[1] and scale * (SIZE + 4) == row.shape[0]
    for i in range(8):  # the centre of tile i holds sample i's value
        centre = row[scale * (2 + SIZE // 2), scale * (2 + i * (SIZE + 2) + SIZE // 2)]
        want = round(((i + 3) / 100 - 0.5 + 1) * 127.5)
        assert (centre == want).all()
    with pytest.raises(ValueError, match="not 8 rows"):
        first_row(grid, SIZE + 1)


def test_timeline_stacks_the_steps_and_labels_them(tmp_path):
    run = _run(tmp_path)
    picture, shown = timeline(str(run), label_keys=("resolution", "alpha"))
    assert shown == [3, 6, 9]
    grid = np.asarray(Image.open(run / "samples" / "step_000003.png").convert("RGB"))
    row_height = first_row(grid, SIZE).shape[0]
    assert picture.shape[0] == 3 * row_height
    # Row r shows step shown[r]'s first sample (value (0 + step) / 100 - 0.5), right of the label.
    scale = row_height // (SIZE + 4)
    left = picture.shape[1] - grid.shape[1]
    for r, step in enumerate(shown):
        pixel = picture[r * row_height + scale * (2 + SIZE // 2), left + scale * (2 + SIZE // 2)]
        assert (pixel == round((step / 100 - 0.5 + 1) * 127.5)).all()
    # The label column has ink (the text), and the picture is thinned to max_rows.
    assert (picture[:, :left] < 128).any()
    _, thinned = timeline(str(run), max_rows=2)
    assert thinned == [3, 9]
    _, chosen = timeline(str(run), steps=[6])
    assert chosen == [6]


def test_cli_writes_refuses_to_overwrite_and_explains_bad_input(tmp_path, capsys):
    run = _run(tmp_path)
    out = tmp_path / "t.png"
    assert main(["timeline", str(run), "--out", str(out), "--label", "alpha"]) == 0
    assert out.exists() and "steps 3, 6, 9" in capsys.readouterr().out
    assert main(["timeline", str(run), "--out", str(out)]) != 0
    assert "exists" in capsys.readouterr().err
    assert main(["timeline", str(run), "--out", str(out), "--steps", "4", "--force"]) != 0
    assert "no sample grid at step(s) [4]" in capsys.readouterr().err
    assert main(["timeline", str(tmp_path / "nothing"), "--out", str(tmp_path / "u.png")]) != 0
    assert "metrics.jsonl" in capsys.readouterr().err
