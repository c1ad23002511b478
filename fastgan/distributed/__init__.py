"""Evaluation across processes and machines on torch.distributed (torchrun; gloo or NCCL).

    torchrun --nproc_per_node 4 -m fastgan eval real/ fake/   # fastgan.evaluate shards every input

    torchrun --nproc_per_node 4 my_eval.py      # or, on features, in each process:
    real = fastgan.distributed.shard_rows(all_real_features)   # or read only its rows
    fastgan.distributed.prdc(real, fake_shard)  # the whole set's numbers, on every process
"""
from .comm import CollectiveError, init_from_env, process_group_from_env, ring, shard_range, shard_rows, world
from .metrics import feature_stats, fid, inception_score, kid, prdc

__all__ = ["CollectiveError", "init_from_env", "process_group_from_env", "world", "shard_range", "shard_rows", "ring", "feature_stats", "fid", "kid", "inception_score", "prdc"]
