#!/usr/bin/python3
"""Builds en_US-bench-medium.onnx (voice piper:en_US-bench-medium) and its Piper config: the Piper fixture model (tests/fixtures/make_models.py) plus a deterministic
compute load proportional to the number of ids, so that an inference costs about what a real Piper
voice costs per second of audio. The load is LAYERS x (ids x DIM) @ (DIM x DIM) matrix products with
tanh; its mean is added to the audio at 1e-6 so the runtime cannot drop it.

Usage: /usr/bin/python3 make_heavy_model.py OUTPUT_DIR [LAYERS] [DIM]   (needs Debian's python3-onnx)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))
import make_models as fixtures  # noqa: E402


def heavy(layers, dim):
    model = fixtures.piper(multi_speaker=False, output_rank=4)
    graph = model.graph
    rng = np.random.default_rng(20240607)
    embedding = (rng.standard_normal((256, dim)) * 0.5).astype(np.float32)
    weight = (rng.standard_normal((dim, dim)) / np.sqrt(dim)).astype(np.float32)
    graph.initializer.extend([numpy_helper.from_array(embedding, "load_embedding"), numpy_helper.from_array(weight, "load_weight")])

    # The tone graph's final node reshapes "wave" into the output; insert the load before it.
    reshape = graph.node[-1]
    assert reshape.op_type == "Reshape" and reshape.input[0] == "wave"
    nodes = [
        fixtures.const("load_mod", [256]),
        helper.make_node("Mod", ["ids", "load_mod"], ["load_ids"]),
        helper.make_node("Gather", ["load_embedding", "load_ids"], ["load_h0"], axis=0),
    ]
    h = "load_h0"
    for i in range(layers):
        nodes.append(helper.make_node("MatMul", [h, "load_weight"], [f"load_m{i}"]))
        nodes.append(helper.make_node("Tanh", [f"load_m{i}"], [f"load_h{i + 1}"]))
        h = f"load_h{i + 1}"
    nodes += [
        helper.make_node("ReduceMean", [h], ["load_mean"], keepdims=0),
        fixtures.scalar_f("load_scale", 1e-6),
        helper.make_node("Mul", ["load_mean", "load_scale"], ["load_tiny"]),
        helper.make_node("Add", ["wave", "load_tiny"], ["wave_loaded"]),
    ]
    reshape.input[0] = "wave_loaded"
    graph.node.insert(len(graph.node) - 1, nodes[0])
    for node in nodes[1:]:
        graph.node.insert(len(graph.node) - 1, node)
    return model


def main():
    if len(sys.argv) not in (2, 3, 4):
        sys.exit("usage: make_heavy_model.py OUTPUT_DIR [LAYERS] [DIM]")
    out = sys.argv[1]
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    dim = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "en_US-bench-medium.onnx")
    fixtures.save(heavy(layers, dim), path)
    symbols = "_^$ !'(),-.:;?abcdefhijklmnopqrstuvwxyzæçðøŋœɐɑɒɔɕəɚɛɜɡɪɹɾʃʊʌʒʔˈˌːθχᵻ0123456789"
    config = {"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}, "language": {"code": "en_US"},
              "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8}, "phoneme_type": "espeak",
              "phoneme_id_map": {c: [i] for i, c in enumerate(symbols)}, "num_speakers": 1, "speaker_id_map": {}}
    with open(path + ".json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
