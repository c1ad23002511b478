"""The few collectives the sharded metrics need, on torch.distributed (gloo or NCCL).

Every function works without an initialised process group too (one process, world 1),
so the sharded metrics are also the single-process ones.
"""
import contextlib

import torch
import torch.distributed as dist


def init_from_env(timeout_s=600):
    """Join the process group torchrun describes (RANK, WORLD_SIZE, MASTER_ADDR in the environment).

    NCCL when CUDA is available, else gloo. Does nothing in a plain single-process run or
    when a group exists already. Returns (rank, world_size). A peer that dies or stalls
    makes the collectives fail after `timeout_s` seconds instead of hanging.
    """
    import os
    from datetime import timedelta

    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size > 1 and dist.is_available() and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    return world()


@contextlib.contextmanager
def process_group_from_env(timeout_s=600):
    """`init_from_env` as a context: yields (rank, world_size) and leaves the group it joined.

    On a clean exit every process waits for the others, then destroys the group, so that no
    process tears down its backend threads while a peer still talks to it (gloo aborts the
    process otherwise). A group that existed before is left as it was.
    """
    created = not (dist.is_available() and dist.is_initialized())
    rank, size = init_from_env(timeout_s)
    try:
        yield rank, size
        if created and size > 1:
            dist.barrier()
    finally:
        if created and size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def world(group=None):
    """(rank, world_size) of this process; (0, 1) without torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(group), dist.get_world_size(group)
    return 0, 1


def shard_range(n, rank, world_size):
    """The rows [start, stop) of n that rank `rank` of `world_size` reads: disjoint, no padding,
    sizes differing by at most one."""
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    return n * rank // world_size, n * (rank + 1) // world_size


def shard_rows(x, group=None):
    """This process's shard of the rows of x (a tensor or array indexed by rows)."""
    rank, size = world(group)
    start, stop = shard_range(x.shape[0], rank, size)
    return x[start:stop]


class CollectiveError(RuntimeError):
    """A collective of fastgan.distributed failed: a peer died, timed out, or never called it."""


_traffic = {"bytes": 0, "messages": 0}


def traffic(reset=False):
    """{"bytes", "messages"}: payload this process has sent through fastgan.distributed (ring
    shifts and the payload of each all_reduce / broadcast) since the start or the last reset."""
    out = dict(_traffic)
    if reset:
        _traffic.update(bytes=0, messages=0)
    return out


def _count(*tensors):
    _traffic["bytes"] += sum(t.numel() * t.element_size() for t in tensors)
    _traffic["messages"] += 1


def all_reduce_sum(t, group=None):
    """In place: t summed over every process; returns t."""
    if world(group)[1] > 1:
        _count(t)
        _guarded("all_reduce", lambda: dist.all_reduce(t, op=dist.ReduceOp.SUM, group=group), group)
    return t


def broadcast(t, src=0, group=None):
    """In place: t from rank `src` on every process; returns t."""
    if world(group)[1] > 1:
        _count(t)
        _guarded("broadcast", lambda: dist.broadcast(t, src=src, group=group), group)
    return t


# Collectives entered by this process, per process group. Each process also posts its count in
# the group's store, so that when one fails the others can say which ranks never reached it.
_entered = {}


def _guarded(what, run, group=None):
    """run() (a collective); its failure becomes a CollectiveError naming the ranks that did not reach it."""
    rank, size = world(group)
    key = "world" if group is None or group is dist.group.WORLD else "-".join(map(str, dist.get_process_group_ranks(group)))
    count = _entered[key] = _entered.get(key, 0) + 1
    store = _store()
    if store is not None:
        try:
            store.set(f"fastgan/entered/{key}/{rank}", str(count))
        except RuntimeError:
            store = None
    try:
        return run()
    except RuntimeError as exc:
        behind = _ranks_behind(store, key, count, rank, size)
        who = (f"rank(s) {', '.join(map(str, behind))} did not reach it" if behind
               else "a peer stopped answering")
        raise CollectiveError(
            f"fastgan.distributed: {what} #{count} failed on rank {rank} of {size}: {who} (a process died or timed "
            f"out, or not every process called the same metric: every process must call it). Backend: {exc}") from exc


def _store():
    try:
        return dist.distributed_c10d._get_default_store()
    except (AttributeError, RuntimeError, ValueError):
        return None


def _ranks_behind(store, key, count, rank, size):
    """The ranks whose posted count is below `count` (never posted: behind), or [] when the store is gone."""
    if store is None:
        return []
    behind = []
    try:
        for other in range(size):
            name = f"fastgan/entered/{key}/{other}"
            if other != rank and (not store.check([name]) or int(store.get(name)) < count):
                behind.append(other)
    except RuntimeError:
        return []  # the store lived on a process that is gone
    return behind


def all_gather_counts(count, device, group=None):
    """[world_size] int64: the `count` of every process (e.g. its number of rows)."""
    rank, size = world(group)
    counts = torch.zeros(size, dtype=torch.int64, device=device)
    counts[rank] = count
    return all_reduce_sum(counts, group)


def ring(packet, visit, group=None, returning=(), piece_rows=None):
    """Pass every process's packet once around the ring; returns this process's packet, home again.

    Args:
        packet: list of tensors, the same dtypes and trailing shapes on every process
            (row counts may differ), e.g. (features shard, their thresholds, accumulators).
        visit: visit(owner_rank, packet) -> packet, called for every process's packet
            (own first); it may update the packet's accumulators, which travel with it,
            and must leave every other entry as it found it.
        returning: indices of the entries visit updates (the accumulators). Only these
            make the last hop home; the others are this process's own, returned as given.
            Empty (the default): nothing comes home, the packet is returned as given.
        piece_rows: None, or the most rows a travelling packet may have. Each process's own
            packet is still visited whole; the others arrive, are visited and move on in
            pieces of at most this many rows, one piece ring after another. visit must
            then treat rows independently (visit(owner, packet[a:b]) equals
            visit(owner, packet)[a:b]); it is called once per piece.

    Memory per process: its own packet plus one visiting packet and one in flight, or with
    `piece_rows` its own packet plus two pieces.
    """
    rank, size = world(group)
    own = list(packet)
    returning = sorted(set(int(i) for i in returning))
    if size == 1:
        return visit(rank, own)
    if piece_rows is None:
        return _ring_whole(own, visit, rank, size, group, returning)
    piece_rows = int(piece_rows)
    if piece_rows < 1:
        raise ValueError(f"piece_rows must be >= 1, got {piece_rows}")
    visited = visit(rank, list(own))
    rows = packet[0].shape[0]
    counts = all_gather_counts(rows, packet[0].device, group)
    pieces = max(1, -(-int(counts.max()) // piece_rows))
    home = {i: [] for i in returning}
    for j in range(pieces):
        # Rows past a shard's end make empty pieces, so every process runs the same rings.
        piece = [t[j * piece_rows:(j + 1) * piece_rows] for t in visited]
        piece = _ring_whole(piece, visit, rank, size, group, returning, skip_own=True)
        for i in returning:
            home[i].append(piece[i])
    for i in returning:
        own[i] = torch.cat(home[i]) if home[i] else visited[i]
    return own


def _ring_whole(own, visit, rank, size, group, returning, skip_own=False):
    """ring() with whole packets; skip_own: `own` was visited already (only the others visit it)."""
    packet = own
    for step in range(size):
        if step or not skip_own:
            packet = visit((rank - step) % size, packet)
        if step < size - 1:
            packet = _shift(packet, rank, size, group)
    if not returning:
        return own
    home = _shift([packet[i] for i in returning], rank, size, group)
    own = list(own)
    for i, tensor in zip(returning, home):
        own[i] = tensor
    return own


def _shift(packet, rank, size, group):
    """Send `packet` to the next rank and receive the previous rank's."""
    nxt, prev = (rank + 1) % size, (rank - 1) % size
    device = packet[0].device
    rows = torch.tensor([t.shape[0] for t in packet], dtype=torch.int64, device=device)
    incoming_rows = torch.empty_like(rows)
    _exchange([rows], [incoming_rows], nxt, prev, group)
    incoming = [torch.empty((int(n), *t.shape[1:]), dtype=t.dtype, device=device)
                for n, t in zip(incoming_rows.tolist(), packet)]
    _exchange([t.contiguous() for t in packet], incoming, nxt, prev, group)
    return incoming


def _exchange(outgoing, incoming, dst, src, group):
    # One tag per tensor: a backend may match messages of one peer out of order otherwise.
    ops = [dist.P2POp(dist.isend, t, dst, group, tag=i) for i, t in enumerate(outgoing) if t.numel()]
    ops += [dist.P2POp(dist.irecv, t, src, group, tag=i) for i, t in enumerate(incoming) if t.numel()]
    if ops:
        _count(*outgoing)

        def run():
            for request in dist.batch_isend_irecv(ops):
                request.wait()

        _guarded(f"exchange with ranks {dst} and {src}", run, group)
