"""Data-parallel training on MPI (``mpiexec -n K chainrule train``, or :func:`train` from Python).

- :mod:`~chainrule.distributed.replica`: one mini-batch split across the ranks, one Allreduce
  per step (the gradient sum derived there); :func:`train` is chainrule.train's loop across them.
- :mod:`~chainrule.distributed.collective`: every collective with a deadline; a lost rank is
  named in one sentence and the job ends in seconds.
- :mod:`~chainrule.distributed.job`: the ranks' roles in a training job (:func:`job`) and the one
  call into the training loop (:func:`fit`).
"""

from chainrule.distributed.collective import RankLost, abort_job, launched, world
from chainrule.distributed.job import fit, job
from chainrule.distributed.replica import Replica, apply_gradient, shard, train

__all__ = [
    "RankLost", "Replica", "abort_job", "apply_gradient", "fit", "job", "launched", "shard",
    "train", "world",
]  # fmt: skip
