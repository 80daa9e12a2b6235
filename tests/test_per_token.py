"""Per-token int8 activations: a row's output never depends on the other rows of its batch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from cache.encoder_pool import EncoderPool
from cache.encoders import FAMILY, PER_TOKEN_FAMILY, encoder_family, load_encoder
from cache.onnx_export import per_token_graph


def _tiny_quantized(tmp_path: Path) -> tuple[Path, Path]:
    """A 2-layer MLP over [batch, seq, 64], exported fp32 and quantized like MiniLM."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(size=(64, 128)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(size=(128, 64)).astype(np.float32), "w2")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w1"], ["h"]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node("MatMul", ["r", "w2"], ["y"]),
        ],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "s", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", 64])],
        [w1, w2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    onnx.save(model, str(fp32))
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return fp32, int8


def _session(path: Path, level: str = "ORT_ENABLE_ALL") -> object:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def test_per_token_rows_are_batch_invariant_and_close_to_fp32(tmp_path: Path) -> None:
    import onnx

    fp32, int8 = _tiny_quantized(tmp_path)
    pt = tmp_path / "pt.onnx"
    onnx.save(per_token_graph(onnx.load(str(int8))), str(pt))
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 5, 64)).astype(np.float32)
    x[0] *= 40  # one loud row: with one scale per tensor it coarsens everyone else's
    ref = _session(fp32).run(None, {"x": x})[0]  # type: ignore[attr-defined]
    quiet: dict[str, float] = {}
    for path, invariant in ((pt, True), (int8, False)):
        sess = _session(path)
        batch = sess.run(None, {"x": x})[0]  # type: ignore[attr-defined]
        alone = np.concatenate([sess.run(None, {"x": x[i : i + 1]})[0] for i in range(6)])  # type: ignore[attr-defined]
        assert np.array_equal(batch[1:], alone[1:]) is invariant, path.name
        quiet[path.name] = float(_row_cosines(batch[1:], ref[1:]).min())
    # per-row scales keep the quiet rows precise next to a loud one; one scale per tensor
    # does not (ORT's u8 x s8 AVX2 kernel also saturates a little: hence not ~1.0)
    assert quiet["pt.onnx"] > 0.98 and quiet["int8.onnx"] < quiet["pt.onnx"] - 0.03, quiet


def _row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_graph_optimizations_do_not_change_the_per_token_math(tmp_path: Path) -> None:
    """ORT's MatMulIntegerToFloat fusion assumes a scalar a_scale; the graph must not trip it."""
    import onnx

    _, int8 = _tiny_quantized(tmp_path)
    pt = tmp_path / "pt.onnx"
    onnx.save(per_token_graph(onnx.load(str(int8))), str(pt))
    x = np.random.default_rng(2).normal(size=(3, 4, 64)).astype(np.float32)
    plain = _session(pt, "ORT_DISABLE_ALL").run(None, {"x": x})[0]  # type: ignore[attr-defined]
    fused = _session(pt).run(None, {"x": x})[0]  # type: ignore[attr-defined]
    np.testing.assert_allclose(fused, plain, rtol=1e-4, atol=1e-4 * np.abs(plain).max())


def test_not_a_dynamic_graph_is_refused(tmp_path: Path) -> None:
    import onnx

    fp32, _ = _tiny_quantized(tmp_path)
    model = onnx.load(str(fp32))
    model.graph.node.append(
        onnx.helper.make_node("MatMulInteger", ["a", "b"], ["c"])  # no Cast * scales after it
    )
    with pytest.raises(ValueError, match="not a quantize_dynamic graph"):
        per_token_graph(model)


def test_quant_option_validation_and_family_tags() -> None:
    assert encoder_family("dynamic") == FAMILY
    assert encoder_family("per_token") == PER_TOKEN_FAMILY != FAMILY
    with pytest.raises(ValueError, match="quantization"):
        load_encoder("onnx", quant="static")
    with pytest.raises(ValueError, match="ONNX"):
        load_encoder("torch", quant="per_token")


class _Recording:
    """Wraps a real encoder and records the size of every encode call."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name, self.family, self.dim = inner.name, inner.family, inner.dim  # type: ignore[attr-defined]
        self.per_row = False
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def pieces(self, texts: Sequence[str]) -> list[int]:
        return self.inner.pieces(texts)  # type: ignore[attr-defined,no-any-return]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            self.sizes.append(len(texts))
        return self.inner.encode(texts)  # type: ignore[attr-defined,no-any-return]


@pytest.mark.model
async def test_real_per_token_vectors_are_the_same_in_any_batch() -> None:
    enc = load_encoder("onnx", quant="per_token")
    assert enc.family == PER_TOKEN_FAMILY and getattr(enc, "batch_invariant", False)
    texts = [f"How do I learn {w} quickly?" for w in ("Python", "Rust", "Go", "C", "Haskell")]
    texts += [
        "What is the population of Tokyo and how has it changed since 1950?",
        "Why?",
        "Explain, step by step and with an example, how a hash map resolves collisions " * 3,
    ]
    alone = [enc.encode([t])[0] for t in texts]
    for batch in (texts, texts[::-1], texts[2:5], texts[4:] + texts[:1]):
        for t, v in zip(batch, enc.encode(batch), strict=True):
            assert np.array_equal(v, alone[texts.index(t)]), t  # padding and mates: no effect
    rec = _Recording(enc)
    pool = EncoderPool(rec, workers=2, max_batch=8)  # type: ignore[arg-type]
    together = await asyncio.gather(*(pool.embed(t) for t in texts * 4))
    await pool.close()
    assert max(rec.sizes) > 1  # the pool did batch
    for t, v in zip(texts * 4, together, strict=True):
        assert np.array_equal(v, alone[texts.index(t)]), t
    dynamic = load_encoder("onnx")
    assert float(dynamic.encode(texts[:1])[0] @ alone[0]) > 0.98  # same model, finer scales
