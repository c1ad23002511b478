"""FID Inception throughput (images/s): eager fp32 beside channels-last, inference mode and
BatchNorm folding, on the CPU (and CUDA, with TF32, where a GPU is present).

The anchor is the eager fp32 network under ``torch.no_grad()``: the same graph and the same
way pytorch-fid runs it (pytorch-fid itself needs torchvision, which fastgan does not install).
Seeded weights: throughput does not depend on the values, and nothing is downloaded.
"""
import pytest
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
    net = base_net.fused(channels_last=channels_last) if fold else base_net
    if channels_last and not fold:
        net = FIDInceptionV3(weights=base_net.state_dict()).to(memory_format=torch.channels_last)
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
