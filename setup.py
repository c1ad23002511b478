"""Builds fastgan's one extension, fastgan._C, against the torch already installed.

CPU kernels are always compiled (-O3, OpenMP). CUDA kernels are compiled when the
installed torch has CUDA and nvcc is found; FASTGAN_CUDA=0/1 overrides that, and
TORCH_CUDA_ARCH_LIST picks the architectures (default "8.0;9.0": A100 and H100).
Install with `pip install --no-build-isolation -e .` so the build sees your torch.
"""
import glob
import os
import re
import shutil
import subprocess

from setuptools import find_packages, setup
from torch.utils import cpp_extension

ROOT = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CUDA_ARCHS = "8.0;9.0"


def want_cuda():
    """True when CUDA kernels should be built: FASTGAN_CUDA wins, else autodetect."""
    forced = os.environ.get("FASTGAN_CUDA")
    if forced is not None:
        return forced.strip() not in ("0", "", "false", "False", "no")
    import torch

    return torch.version.cuda is not None and cpp_extension.CUDA_HOME is not None and (
        shutil.which("nvcc") is not None or os.path.exists(os.path.join(cpp_extension.CUDA_HOME, "bin", "nvcc"))
    )


def nvcc_version():
    """The CUDA release nvcc reports, e.g. "13.0", or "unknown"."""
    nvcc = os.path.join(cpp_extension.CUDA_HOME or "", "bin", "nvcc")
    try:
        text = subprocess.check_output([nvcc if os.path.exists(nvcc) else "nvcc", "--version"], text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    match = re.search(r"release (\d+\.\d+)", text)
    return match.group(1) if match else "unknown"


def extension():
    """The fastgan._C extension, with or without its CUDA sources."""
    sources = ["csrc/ops.cpp"] + sorted(glob.glob("csrc/cpu/*.cpp"))
    # No FMA contraction: the exact re-checks must round as the CUDA kernels do (--fmad=false).
    cxx_flags = ["-O3", "-std=c++20", "-fopenmp", "-ffp-contract=off"]
    include_dirs = [os.path.join(ROOT, "csrc", "include")]
    if want_cuda():
        os.environ.setdefault("TORCH_CUDA_ARCH_LIST", DEFAULT_CUDA_ARCHS)
        sources += sorted(glob.glob("csrc/cuda/*.cu")) + sorted(glob.glob("csrc/cuda/*_glue.cpp"))
        cxx_flags += ["-DFASTGAN_WITH_CUDA", f'-DFASTGAN_CUDA_VERSION="{nvcc_version()}"']
        return cpp_extension.CUDAExtension(
            "fastgan._C",
            sources,
            include_dirs=include_dirs,
            extra_compile_args={"cxx": cxx_flags, "nvcc": ["-O3", "-std=c++17", "--fmad=false"]},
            extra_link_args=["-fopenmp"],
        )
    return cpp_extension.CppExtension(
        "fastgan._C",
        sources,
        include_dirs=include_dirs,
        extra_compile_args={"cxx": cxx_flags},
        extra_link_args=["-fopenmp"],
    )


class BuildExtension(cpp_extension.BuildExtension):
    """torch's ninja builder with one persistent object folder, build/temp.

    pip's editable install and `setup.py build_ext --inplace` then share the
    compiled objects, so a rebuild after an edit recompiles only what changed.
    """

    def finalize_options(self):
        super().finalize_options()
        self.build_temp = os.path.join(ROOT, "build", "temp")


setup(
    packages=find_packages(include=["fastgan", "fastgan.*"]),
    ext_modules=[extension()],
    cmdclass={"build_ext": BuildExtension.with_options(use_ninja=True)},
)
