#!/usr/bin/python3
"""PyTorch's torch.fft timed on the shapes of `lra bench --ops`, for comparison on one machine.

Forward: the op on [rows, n] float32 inputs. Forward + backward: the op, the loss
sum(w * output) with fixed random w (real and imaginary parts weighted separately), and
loss.backward(); the tfjs benchmark (packages/trainer/src/bench/spectral-ops.ts) differentiates
the same loss. Medians over repeats after warm-up, fast calls looped so that one repeat lasts at
least 20 ms. Prints JSON.

    /usr/bin/python3 scripts/bench/torch_fft.py --ops rfft,irfft --rows 512 --lengths 1024,4096 [--threads 2]
"""

import argparse
import json
import os
import platform
import statistics
import time

import torch

MIN_REPEAT_S = 0.02


def make_case(op, rows, n, gen):
    def uniform(*shape):
        return (torch.rand(*shape, generator=gen) * 2 - 1).requires_grad_(True)

    if op == "rfft":
        inputs = [uniform(rows, n)]
        run = lambda x: torch.fft.rfft(x)
    elif op == "irfft":
        bins = n // 2 + 1
        inputs = [uniform(rows, bins), uniform(rows, bins)]
        run = lambda re, im: torch.fft.irfft(torch.complex(re, im), n=n)
    elif op == "fft":
        inputs = [uniform(rows, n), uniform(rows, n)]
        run = lambda re, im: torch.fft.fft(torch.complex(re, im))
    elif op == "ifft":
        inputs = [uniform(rows, n), uniform(rows, n)]
        run = lambda re, im: torch.fft.ifft(torch.complex(re, im))
    else:
        raise SystemExit("unknown op %r: expected rfft, irfft, fft or ifft" % op)
    with torch.no_grad():
        out = run(*inputs)
    if out.is_complex():
        wr = torch.rand(out.shape, generator=gen) * 2 - 1
        wi = torch.rand(out.shape, generator=gen) * 2 - 1
        loss = lambda y: (y.real * wr).sum() + (y.imag * wi).sum()
    else:
        w = torch.rand(out.shape, generator=gen) * 2 - 1
        loss = lambda y: (y * w).sum()
    return inputs, run, loss


def time_call(step, repeats, warmup):
    single = 0.0
    for _ in range(max(1, warmup)):
        start = time.perf_counter()
        step()
        single = time.perf_counter() - start
    calls = max(1, int(-(-MIN_REPEAT_S // max(single, 1e-6))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default="rfft,irfft")
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--lengths", default="1024,2048,4096")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(1234)
    results = []
    for op in [s.strip() for s in args.ops.split(",") if s.strip()]:
        for n in [int(s) for s in args.lengths.split(",") if s.strip()]:
            inputs, run, loss = make_case(op, args.rows, n, gen)

            def forward():
                with torch.no_grad():
                    run(*inputs)

            def forward_backward():
                for x in inputs:
                    x.grad = None
                loss(run(*inputs)).backward()

            results.append({
                "op": op,
                "rows": args.rows,
                "n": n,
                "forwardMs": time_call(forward, args.repeats, args.warmup),
                "forwardBackwardMs": time_call(forward_backward, args.repeats, args.warmup),
            })
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
