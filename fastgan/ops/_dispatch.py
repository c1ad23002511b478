"""Chooses between an op's compiled kernel and its plain-PyTorch reference."""
from .. import _ext
from ._inputs import check_impl


def use_compiled(impl, device):
    """True when the compiled kernel should run for tensors on `device`.

    impl: "auto" uses the kernel when it is built for the device (else the
    reference, with a one-time warning); "compiled" insists on it; "reference"
    always runs the plain-PyTorch definition.
    """
    check_impl(impl)
    if impl == "reference":
        return False
    if impl == "compiled":
        if not (_ext.available() and (device.type == "cpu" or _ext.has_cuda())):
            raise RuntimeError(
                f"fastgan: no compiled kernel for {device}: {_ext.load_error() or 'built without CUDA kernels'}"
            )
        return True
    return _ext.kernels_for(device)
