"""Benchmarks: the training-step benchmark (compile vs step time, FLOPs, MFU), the ODE
benchmark, their shared JSON record, the FLOP model and the persistent compile cache.

CLI: ``python -m training bench`` and ``python -m training ode-bench``.
"""
