"""FID Inception throughput (images/s): eager fp32 beside channels-last, inference mode and
BatchNorm folding, on the CPU (and CUDA, with TF32, where a GPU is present).

The anchor is the eager fp32 network under ``torch.no_grad()``: the same graph and the same
way pytorch-fid runs it (pytorch-fid itself needs torchvision, which fastgan does not install).
Seeded weights: throughput does not depend on the values, and nothing is downloaded.
On CUDA the fp32 cases turn TF32 off explicitly (cuDNN allows it by default), and
``test_tf32_fid_change`` reports how much TF32 moves an FID value.
"""
import copy

import numpy as np
import pytest
import scipy.linalg
import torch

from _harness import peak_memory_mb, record

from fastgan.networks import FIDInceptionV3
from fastgan.networks.weights import load_seeded

BATCH = {"cpu": 16, "cuda": 128}
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])

VARIANTS = {
    # name: (grad mode, channels_last, fold BatchNorm, TF32)
    "eager fp32 no_grad (pytorch-fid way)": ("no_grad", False, False, False),
    "inference_mode": ("inference", False, False, False),
    "channels_last + inference_mode": ("inference", True, False, False),
    "fused (BN folded) + channels_last + inference_mode": ("inference", True, True, False),
    "TF32 + channels_last + inference_mode": ("inference", True, False, True),
}


@pytest.fixture(scope="module")
def base_net():
    return load_seeded(FIDInceptionV3(weights=None))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_inception_throughput(benchmark, base_net, variant, device):
    grad_mode, channels_last, fold, tf32 = VARIANTS[variant]
    if tf32 and device != "cuda":
        pytest.skip("TF32 is a CUDA setting")
    n = BATCH[device]
    if fold:
        net = base_net.fused(channels_last=channels_last)
    else:  # a copy: moving the shared network would leak into the other cases
        net = copy.deepcopy(base_net)
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
    net = net.to(device)
    images = torch.randint(0, 256, (n, 3, 299, 299), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0)).to(device)
    context = torch.no_grad if grad_mode == "no_grad" else torch.inference_mode

    def run():
        with context():
            out = net(images)["pool3"]
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    previous_tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    try:
        _, peak = peak_memory_mb(run)  # also the warm-up
        benchmark.group = f"FID Inception {device} {n}x299x299"
        benchmark.pedantic(run, rounds=2 if device == "cpu" else 5, warmup_rounds=0)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = previous_tf32
    benchmark.extra_info["images_per_s"] = n / benchmark.stats.stats.median
    record(benchmark, benchmark.group, f"{variant} ({n / benchmark.stats.stats.median:.1f} img/s)", peak,
           anchor=variant.startswith("eager"))


def _fid(a, b):
    """Frechet distance of two float64 feature sets (pytorch-fid's formula, real part of sqrtm)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="TF32 is a CUDA setting")
def test_tf32_fid_change(benchmark, base_net):
    """FID of two seeded image sets with fp32 and with TF32 convolutions/matmuls."""
    net = copy.deepcopy(base_net).to("cuda", memory_format=torch.channels_last)
    g = torch.Generator().manual_seed(1)
    n = 2500  # more images than features, so both covariances are full rank
    real = torch.randint(0, 256, (n, 3, 64, 64), dtype=torch.uint8, generator=g)
    fake = (real.float() * 0.7 + 40 + 20 * torch.rand(real.shape, generator=g)).round().to(torch.uint8)

    def features(images, tf32):
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
        with torch.inference_mode():
            out = torch.cat([net(images[i:i + 250].cuda())["pool3"] for i in range(0, n, 250)])
        torch.cuda.synchronize()
        return out.double().cpu().numpy()

    previous = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        fid32 = _fid(features(real, False), features(fake, False))
        benchmark.pedantic(features, args=(fake, True), rounds=1, warmup_rounds=0)
        fid_tf32 = _fid(features(real, True), features(fake, True))
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = previous
    benchmark.group = "FID Inception TF32 effect"
    benchmark.extra_info.update(fid_fp32=fid32, fid_tf32=fid_tf32, relative_change=abs(fid_tf32 - fid32) / fid32)
    print(f"\nFID fp32 {fid32:.6f}  TF32 {fid_tf32:.6f}  relative change {abs(fid_tf32 - fid32) / fid32:.2e}")
    record(benchmark, benchmark.group, f"TF32 features of {n} images (FID {fid32:.4f} -> {fid_tf32:.4f})")
