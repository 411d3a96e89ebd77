"""Model package export: ONNX graphs, kernel weights, tokenizer, manifest (DESIGN.md §4)."""
