"""How far simple image changes move the metrics of a data set's feature space, in one command.

    python tools/feature_space_sensitivity.py --data shapes            # the README's table
    python tools/feature_space_sensitivity.py --data digits --json out.json

The Trainer's evaluation compares generated samples with the held-out set in the data set's own
feature space (fastgan.training.evaluation.Evaluator). This tool scores the training images the
Evaluator's real-vs-held-out baseline uses, once as they are (that baseline, exactly) and once
per perturbation: lower resolution, blur, pixel noise, a brightness offset, lower contrast. It
tells what "FID within 3x of real-vs-held-out" asks of a generator in that space.
"""
import argparse
import json
import sys

import torch
import torch.nn.functional as F


def _pooled(x, factor, mode):
    small = F.avg_pool2d(x, factor)
    if mode == "nearest":
        return F.interpolate(small, scale_factor=factor, mode="nearest")
    return F.interpolate(small, scale_factor=factor, mode="bilinear", align_corners=False)


def _noise(x, sigma):
    return x + sigma * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))


PERTURBATIONS = {
    "none (real vs held-out)": lambda x: x,
    "half resolution, nearest upsampling": lambda x: _pooled(x, 2, "nearest"),
    "half resolution, bilinear upsampling (blur)": lambda x: _pooled(x, 2, "bilinear"),
    "quarter resolution, nearest upsampling": lambda x: _pooled(x, 4, "nearest"),
    "pixel noise, sigma 0.05": lambda x: _noise(x, 0.05),
    "pixel noise, sigma 0.1": lambda x: _noise(x, 0.1),
    "brightness + 0.1 (of the [-1, 1] range)": lambda x: (x + 0.1).clamp(-1, 1),
    "contrast x 0.9": lambda x: x * 0.9,
}


def sensitivity(data="shapes", num_samples=None):
    """[{"change", "fid", "fid_ratio", "precision", "recall"}] for each of PERTURBATIONS.

    fid_ratio is the FID over the unperturbed (real-vs-held-out) FID.
    """
    from fastgan.data.sources import load_data
    from fastgan.training.evaluation import Evaluator

    source = load_data(data)
    if source.kind != "images":
        raise ValueError(f"{data} holds {source.kind}, not images")
    evaluator = Evaluator(source, num_samples)
    # The very training images the baseline scores (Evaluator.__init__'s draw).
    idx = torch.randperm(len(source.x), generator=torch.Generator().manual_seed(0))[: evaluator.num_samples]
    images = source.x[idx].float()
    rows = []
    for name, change in PERTURBATIONS.items():
        score = evaluator.score(change(images))
        rows.append({"change": name, "fid": score["fid"], "precision": score["precision"],
                     "recall": score["recall"]})
    base = rows[0]["fid"]
    for row in rows:
        row["fid_ratio"] = row["fid"] / base
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="shapes", help="an image data set with a feature network (shapes, digits)")
    parser.add_argument("--samples", type=int, default=None, help="images per score (default: the Evaluator's)")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = sensitivity(args.data, args.samples)
    print("| change | FID | x real-vs-held-out | precision | recall |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['change']} | {r['fid']:.2f} | {r['fid_ratio']:.1f} | {r['precision']:.3f} | {r['recall']:.3f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
