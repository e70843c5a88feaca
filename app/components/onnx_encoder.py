"""The embedding model as a dynamically quantised (int8) ONNX graph run by ONNX Runtime.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose only release needs
transformers < 4.58 (this project has 5.x), so the transformer is exported here with
`torch.onnx.export` and quantised with `onnxruntime.quantization.quantize_dynamic`
(per-channel int8 weights), once, into the data folder; nothing is downloaded. Mean pooling
and L2 normalisation, the model's sentence-transformers head, are done here in numpy.
"""

import logging
import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Part of the exported file's name: a change of the export recipe exports again.
RECIPE = "int8-dynamic-per-channel-opset17-v1"


def check_exportable(model: Any) -> None:
    """Only a transformer followed by mean pooling (and normalisation) is exported: the
    pooling is redone outside the graph."""
    kinds = [type(m).__name__ for m in model]
    pooling = model[1] if len(model) > 1 else None
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"} or \
            getattr(pooling, "pooling_mode", "mean") != "mean":
        raise ValueError(f"embedding.backend onnx-int8 needs a mean-pooled model; this one is "
                         f"{' + '.join(kinds)}: use embedding.backend torch")


@contextmanager
def _quiet() -> Iterator[None]:
    """The exporter's warnings about graph details and the quantiser's advice (logged on the
    root logger) say nothing an operator can act on."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def export_int8(model: Any, target: Path) -> Path:
    """Export the transformer of a loaded SentenceTransformer and quantise it to `target`,
    unless it is already there. Written beside and renamed, so a killed export leaves
    nothing a later run would load, and two processes exporting at once both succeed."""
    if target.exists():
        return target
    import torch

    check_exportable(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = model.tokenizer(["an example sentence", "a second, longer example sentence"],
                             padding=True, return_tensors="pt")
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    unique = uuid.uuid4().hex
    fp32, int8 = (target.with_name(f".{target.name}.{unique}.{kind}") for kind in ("fp32", "int8"))
    try:
        with _quiet():
            _export(LastHiddenState().eval(), sample, fp32, int8)
        os.replace(int8, target)
    finally:
        fp32.unlink(missing_ok=True)
        int8.unlink(missing_ok=True)
    return target


def _export(module: Any, sample: Any, fp32: Path, int8: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    torch.onnx.export(module, tuple(sample[n] for n in INPUTS), str(fp32),
                      input_names=list(INPUTS), output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "sequence"}
                                    for n in [*INPUTS, "last_hidden_state"]},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


class OnnxEncoder:
    """Runs the exported graph on padded batches and pools its output."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # ONNX Runtime fuses attention, LayerNorm and GELU itself when it loads the graph.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])

    def encode(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """L2-normalised mean of the token vectors (padding excluded)."""
        mask = batch["attention_mask"].astype(np.int64)
        feed = {"input_ids": batch["input_ids"].astype(np.int64), "attention_mask": mask,
                "token_type_ids": batch.get("token_type_ids",
                                            np.zeros_like(mask)).astype(np.int64)}
        hidden = self.session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
