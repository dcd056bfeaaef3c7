#!/usr/bin/python3
"""The `lra bench` classifier in PyTorch (CPU), timed the same way, for comparison on one machine.

The model is the one `lra bench` times (packages/trainer/src/bench/model-bench.ts): token embedding
over 256 ids, sinusoidal positions, dropout 0.1, L pre-LN blocks (mixer + GELU feed-forward of width
F), a final LayerNorm, mean pooling over real tokens, a Dense(F) -> ReLU -> Dense(10) head,
cross-entropy and one Adam step (lr 1e-4, betas 0.9/0.98, eps 1e-9). Mixers:

- attention: 4 bias-free projections, scores scaled by 1/sqrt(d), padded keys masked additively,
  softmax, dropout on the weights (packages/models/src/mixers/attention.ts).
- fnet: Re(fft2(x)) over (sequence, hidden), unnormalised, in a pre-LN block with LayerNorm eps
  1e-12 (packages/models/src/mixers/fnet.ts).
- fftnet ('modrelu-177799f'): padded positions zeroed, orthonormal rfft along the sequence split
  into heads, filter = base [H, F] + tanh(MLP(mean of x)), modReLU with a learned bias per head
  and bin, irfft, then the module's own LN(x + dropout(y)); the block adds only x + FF(LN(x))
  (packages/models/src/mixers/fftnet.ts).

forwardMs: one inference pass (no dropout, no autograd); stepMs: forward, loss, backward and the
Adam update, with the loss read back. Medians over --repeats after --warmup untimed runs. Every
(mixer, length) runs in a fresh child process unless --no-isolate, so rssPeakBytes (the process's
peak resident set, getrusage) belongs to that cell alone. peakBytes is null: PyTorch keeps no
statistics of its CPU allocator. A cell whose step, predicted from the shorter lengths already
measured, exceeds --budget-ms is skipped; so are the lengths above one that failed.

torch.set_num_threads(--threads), default every core of the machine (os.cpu_count()).

    /usr/bin/python3 packages/trainer/bench/peer/peer.py --mixers attention,fnet,fftnet --lengths 1024,2048
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 256
CLASSES = 10
DROPOUT = 0.1
LRA_LAYER_NORM_EPS = 1e-6
FNET_LAYER_NORM_EPS = 1e-12
FFTNET_MODULE_NORM_EPS = 1e-5
MASKED_SCORE = -1e9
MODRELU_MIN_MAGNITUDE = 1e-3
MAGNITUDE_FLOOR = 1e-20
MIXERS = ("attention", "fnet", "fftnet")


class Attention(nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = d_model // heads
        self.query = nn.Linear(d_model, d_model, bias=False)
        self.key = nn.Linear(d_model, d_model, bias=False)
        self.value = nn.Linear(d_model, d_model, bias=False)
        self.output = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x, mask):
        b, n, d = x.shape
        h, hd = self.heads, self.head_dim
        q = (self.query(x) * (1 / math.sqrt(hd))).view(b, n, h, hd).transpose(1, 2)
        k = self.key(x).view(b, n, h, hd).transpose(1, 2)
        v = self.value(x).view(b, n, h, hd).transpose(1, 2)
        scores = q @ k.transpose(-1, -2)
        scores = scores + ((1 - mask) * MASKED_SCORE).view(b, 1, 1, n)
        weights = F.dropout(torch.softmax(scores, dim=-1), DROPOUT, self.training)
        return self.output((weights @ v).transpose(1, 2).reshape(b, n, d))


class FNetMix(nn.Module):
    def forward(self, x, mask):
        return torch.fft.fftn(x, dim=(1, 2)).real


class FFTNetFilter(nn.Module):
    """FFTNet 'modrelu-177799f': owns its residual and its LayerNorm."""

    def __init__(self, d_model, heads, seq_len):
        super().__init__()
        self.heads = heads
        self.seq_len = seq_len
        self.bins = seq_len // 2 + 1
        self.base_filter = nn.Parameter(torch.ones(heads, self.bins))
        self.hidden = nn.Linear(d_model, d_model)
        self.output = nn.Linear(d_model, heads * self.bins)
        self.modrelu_bias = nn.Parameter(torch.full((heads, self.bins), -0.1))
        self.norm = nn.LayerNorm(d_model, eps=FFTNET_MODULE_NORM_EPS)
        for linear in (self.hidden, self.output):
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)

    def forward(self, x, mask):
        b, n, d = x.shape
        h, bins = self.heads, self.bins
        weights = mask.unsqueeze(2)
        context = (x * weights).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        spectrum = torch.fft.rfft(x * weights, dim=1, norm="ortho").view(b, bins, h, d // h)
        modulation = torch.tanh(self.output(F.gelu(self.hidden(context))))
        modulation = modulation.view(b, h, bins).transpose(1, 2).unsqueeze(3)
        spectrum = spectrum * (self.base_filter.t().view(1, bins, h, 1) + modulation)
        magnitude = torch.sqrt(spectrum.real.square() + spectrum.imag.square() + MAGNITUDE_FLOOR)
        gain = F.relu(magnitude + self.modrelu_bias.t().view(1, bins, h, 1)) / magnitude.clamp(min=MODRELU_MIN_MAGNITUDE)
        y = torch.fft.irfft((spectrum * gain).reshape(b, bins, d), n=self.seq_len, dim=1, norm="ortho")
        return self.norm(x + F.dropout(y, DROPOUT, self.training))


class FeedForward(nn.Module):
    def __init__(self, d_model, mlp_dim):
        super().__init__()
        self.expand = nn.Linear(d_model, mlp_dim)
        self.contract = nn.Linear(mlp_dim, d_model)

    def forward(self, x):
        hidden = F.dropout(F.gelu(self.expand(x)), DROPOUT, self.training)
        return F.dropout(self.contract(hidden), DROPOUT, self.training)


class Block(nn.Module):
    def __init__(self, mixer, d_model, heads, mlp_dim, seq_len):
        super().__init__()
        self.owns_residual = mixer == "fftnet"
        eps = FNET_LAYER_NORM_EPS if mixer == "fnet" else LRA_LAYER_NORM_EPS
        if mixer == "attention":
            self.mixer = Attention(d_model, heads)
        elif mixer == "fnet":
            self.mixer = FNetMix()
        else:
            self.mixer = FFTNetFilter(d_model, heads, seq_len)
        self.mixer_norm = None if self.owns_residual else nn.LayerNorm(d_model, eps=eps)
        self.feed_forward = FeedForward(d_model, mlp_dim)
        self.feed_forward_norm = nn.LayerNorm(d_model, eps=eps)

    def forward(self, x, mask):
        if self.owns_residual:
            h = self.mixer(x, mask)
        else:
            h = x + F.dropout(self.mixer(self.mixer_norm(x), mask), DROPOUT, self.training)
        return h + self.feed_forward(self.feed_forward_norm(h))


def sinusoidal_positions(length, dim):
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * div)
    table[:, 1::2] = torch.cos(position * div)
    return table


class Classifier(nn.Module):
    def __init__(self, mixer, seq_len, d_model, heads, layers, mlp_dim):
        super().__init__()
        eps = FNET_LAYER_NORM_EPS if mixer == "fnet" else LRA_LAYER_NORM_EPS
        self.embedding = nn.Embedding(VOCAB, d_model)
        self.register_buffer("positions", sinusoidal_positions(seq_len, d_model))
        self.blocks = nn.ModuleList(Block(mixer, d_model, heads, mlp_dim, seq_len) for _ in range(layers))
        self.final_norm = nn.LayerNorm(d_model, eps=eps)
        self.head_hidden = nn.Linear(d_model, mlp_dim)
        self.head_logits = nn.Linear(mlp_dim, CLASSES)

    def forward(self, tokens):
        mask = (tokens != 0).float()
        x = F.dropout(self.embedding(tokens) + self.positions[: tokens.shape[1]], DROPOUT, self.training)
        for block in self.blocks:
            x = block(x, mask)
        x = self.final_norm(x)
        pooled = (x * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.head_logits(F.relu(self.head_hidden(pooled)))


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def synchronize(device):
    # CUDA kernels run asynchronously: a timing must wait for them to finish.
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_ms(fn, warmup, repeats, device):
    for _ in range(warmup):
        fn()
    synchronize(device)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def rss_peak_bytes():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def bench_cell(mixer, length, args):
    torch.manual_seed(1234 + length)
    device = torch.device(args.device)
    model = Classifier(mixer, length, args.d_model, args.heads, args.layers, args.mlp_dim).to(device)
    row = {"mixer": mixer, "length": length, "params": param_count(model)}
    if args.params_only:
        return row
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    tokens = torch.randint(1, VOCAB, (args.batch, length)).to(device)
    labels = torch.randint(0, CLASSES, (args.batch,)).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    def forward():
        model.eval()
        with torch.no_grad():
            model(tokens)

    def step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens), labels)
        loss.backward()
        optimizer.step()
        loss.item()

    forward_ms = median_ms(forward, args.warmup, args.repeats, device)
    step_ms = median_ms(step, args.warmup, args.repeats, device)
    row.update({
        "forwardMs": forward_ms,
        "stepMs": step_ms,
        # The CUDA caching allocator keeps statistics; the CPU one keeps none.
        "peakBytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None,
        "rssPeakBytes": rss_peak_bytes(),
        "tokensPerSec": args.batch * length * 1000 / step_ms,
    })
    return row


def predicted_step_ms(measured):
    """The step time at the next length from (length, ms) pairs already measured, ascending.

    Power law through the last two points, its exponent clamped to [1, 2]; exponent 1.5 from one
    point. The same rule as predictCost in src/bench/growth.ts.
    """
    if not measured:
        return None
    last_n, last_ms = measured[-1]
    if len(measured) == 1:
        return lambda n: last_ms * (n / last_n) ** 1.5
    prev_n, prev_ms = measured[-2]
    exponent = math.log(last_ms / prev_ms) / math.log(last_n / prev_n)
    exponent = min(2.0, max(1.0, exponent))
    return lambda n: last_ms * (n / last_n) ** exponent


def isolated_cell(mixer, length, args):
    command = [
        sys.executable, os.path.abspath(__file__), "--no-isolate",
        "--mixers", mixer, "--lengths", str(length),
        "--batch", str(args.batch), "--d-model", str(args.d_model), "--heads", str(args.heads),
        "--layers", str(args.layers), "--mlp-dim", str(args.mlp_dim),
        "--warmup", str(args.warmup), "--repeats", str(args.repeats), "--threads", str(args.threads),
        "--device", args.device,
    ] + (["--params-only"] if args.params_only else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        reason = "killed by signal %d" % -done.returncode if done.returncode < 0 else tail
        return {"mixer": mixer, "length": length, "error": reason}
    return json.loads(done.stdout)["results"][0]


def run_cells(args):
    results = []
    for mixer in args.mixers:
        measured = []
        failed_at = None
        for length in sorted(args.lengths):
            if failed_at is not None:
                results.append({"mixer": mixer, "length": length, "skipped": "failed at %d" % failed_at})
                continue
            predict = predicted_step_ms(measured)
            if predict is not None and args.budget_ms > 0 and predict(length) > args.budget_ms:
                results.append({
                    "mixer": mixer, "length": length, "predictedStepMs": predict(length),
                    "skipped": "predicted step %.0f ms > budget %.0f ms" % (predict(length), args.budget_ms),
                })
                continue
            if args.isolate:
                row = isolated_cell(mixer, length, args)
            else:
                try:
                    row = bench_cell(mixer, length, args)
                except RuntimeError as error:
                    row = {"mixer": mixer, "length": length, "error": str(error).splitlines()[0]}
            results.append(row)
            if "error" in row:
                failed_at = length
            elif "stepMs" in row:
                measured.append((length, row["stepMs"]))
            if args.progress:
                print(json.dumps(row), file=sys.stderr, flush=True)
    return results


def comma_list(text, convert=str):
    return [convert(s.strip()) for s in text.split(",") if s.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixers", default="attention,fnet,fftnet")
    parser.add_argument("--lengths", default="1024,2048,3072,4096")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--mlp-dim", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--budget-ms", type=float, default=0, help="skip cells predicted slower than this per step (0: never)")
    parser.add_argument("--no-isolate", dest="isolate", action="store_false", help="run every cell in this process")
    parser.add_argument("--params-only", action="store_true", help="build the models and report their parameter counts only")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (peakBytes then from the CUDA allocator)")
    parser.add_argument("--progress", action="store_true", help="print each row to stderr as it is measured")
    args = parser.parse_args()
    args.mixers = comma_list(args.mixers)
    args.lengths = comma_list(args.lengths, int)
    unknown = [m for m in args.mixers if m not in MIXERS]
    if unknown:
        parser.error("unknown mixer %s: the peer has %s" % (", ".join(unknown), ", ".join(MIXERS)))
    if args.d_model % args.heads != 0:
        parser.error("--d-model %d is not divisible by --heads %d" % (args.d_model, args.heads))
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be >= 1 and --warmup >= 0")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device %s: this PyTorch sees no CUDA device" % args.device)
    torch.set_num_threads(args.threads)
    results = run_cells(args)
    print(json.dumps({
        "framework": "pytorch",
        "backend": "pytorch-" + torch.device(args.device).type,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "config": {
            "batch": args.batch, "dModel": args.d_model, "heads": args.heads, "layers": args.layers,
            "mlpDim": args.mlp_dim, "warmup": args.warmup, "repeats": args.repeats,
        },
        "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
