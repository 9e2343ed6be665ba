"""MoE dispatch benchmark: grouped vs naive mask loop vs a dense FFN of equal active size.

    python -m bench.moe_dispatch [--repeats 7] [--threads 2] [--precisions fp32,bf16]

Times one MoE feed-forward layer (training step = forward + backward, and inference) on
phoneme-level token counts of an acoustic-model batch (16 sentences x ~80 phonemes) and on
frame-level counts (16 x ~300 frames), in fp32 and under bf16 autocast (how `tts-moe train
acoustic --bf16` trains), with the three implementations side by side in one run. Reports
the fastest of ``--repeats`` runs (the machine is shared; min is the least noisy estimate)
and the ratio to the dense layer. Writes bench/results/moe_dispatch.json.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import torch

from bench.common import Row, print_table, write_results
from tts_moe.model.moe import DenseFeedForward, MoEConfig, MoEFeedForward

CASES = {"phonemes 16x80": (16, 80), "frames 16x300": (16, 300)}


def fastest(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def precision_context(precision: str):
    """bf16 autocast on the CPU, or nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def measure(config: MoEConfig, batch: int, length: int, repeats: int, precision: str = "fp32") -> dict[str, float]:
    torch.manual_seed(0)
    moe = MoEFeedForward(config)
    dense = DenseFeedForward(config.dim, config.hidden * config.top_k)
    x = torch.randn(batch, length, config.dim)
    mask = torch.ones(batch, length, dtype=torch.bool)
    mask[batch // 2:, int(length * 0.7):] = False  # ragged batch, like real sentences

    def train_step(run):
        def step():
            source = x.clone().requires_grad_(True)
            with precision_context(precision):
                out = run(source)
            out.float().pow(2).mean().backward()
        return step

    results = {}
    moe.train()
    for dispatch in ("grouped", "mask"):
        results[f"train {dispatch}"] = fastest(
            train_step(lambda s, d=dispatch: (lambda o, r: o + 0 * r.aux_loss)(*moe(s, mask, dispatch=d))),
            repeats,
        )
    results["train dense"] = fastest(train_step(dense), repeats)
    moe.eval()
    with torch.inference_mode(), precision_context(precision):
        for dispatch in ("grouped", "mask"):
            results[f"infer {dispatch}"] = fastest(lambda d=dispatch: moe(x, mask, dispatch=d), repeats)
        results["infer dense"] = fastest(lambda: dense(x), repeats)
    return results


def shipped_sizes() -> dict[str, int]:
    """dim, expert hidden width, experts and k of the shipped acoustic model (256/512/8/2
    when no weights are shipped)."""
    from tts_moe.acoustic.loader import read_card
    from tts_moe.errors import TTSMoeError

    try:
        config = read_card()["config"]
    except TTSMoeError:
        return {"dim": 256, "hidden": 512, "experts": 8, "top_k": 2}
    return {"dim": config["dim"], "hidden": config["expert_hidden"], "experts": config["num_experts"],
            "top_k": config["top_k"]}


def main(argv: list[str] | None = None) -> int:
    sizes = shipped_sizes()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dim", type=int, default=sizes["dim"], help="default: the shipped model's")
    parser.add_argument("--hidden", type=int, default=sizes["hidden"],
                        help="hidden width of one expert (default: the shipped model's)")
    parser.add_argument("--experts", type=int, default=sizes["experts"])
    parser.add_argument("--top-k", type=int, default=sizes["top_k"])
    parser.add_argument("--precisions", default="fp32,bf16", help="fp32 and/or bf16 (autocast), comma-separated")
    args = parser.parse_args(argv)
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    unknown = sorted(set(precisions) - {"fp32", "bf16"})
    if unknown or not precisions:
        parser.error(f"--precisions takes fp32 and/or bf16, got {args.precisions!r}")
    torch.set_num_threads(args.threads)
    config = MoEConfig(dim=args.dim, hidden=args.hidden, num_experts=args.experts, top_k=args.top_k)
    rows, raw = [], {}
    for (case, (batch, length)), precision in ((c, p) for c in CASES.items() for p in precisions):
        name = f"{case} {precision}"
        timings = measure(config, batch, length, args.repeats, precision)
        raw[name] = timings
        for phase in ("train", "infer"):
            dense = timings[f"{phase} dense"]
            for kind in ("grouped", "mask", "dense"):
                seconds = timings[f"{phase} {kind}"]
                rows.append(Row(f"{name} {phase} {kind}", round(seconds * 1000, 3), "ms"))
                if kind != "dense":
                    rows.append(Row(f"{name} {phase} {kind} / dense", round(seconds / dense, 2), "x"))
            grouped, mask = timings[f"{phase} grouped"], timings[f"{phase} mask"]
            rows.append(Row(f"{name} {phase} mask / grouped", round(mask / grouped, 2), "x",
                            "> 1 (grouped faster)", mask > grouped))
    title = (f"MoE dispatch: dim {args.dim}, expert hidden {args.hidden}, {args.experts} experts, "
             f"top-{args.top_k}, dense hidden {args.hidden * args.top_k}, {args.threads} threads, "
             f"min of {args.repeats}")
    print_table(title, rows)
    path = write_results("moe_dispatch", title, rows, {"config": config.to_dict(), "seconds": raw})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
