"""``python -m fastgan.compat.pytorch_fid``: pytorch-fid's command line, same arguments and output."""
from .fid_score import main

main()
