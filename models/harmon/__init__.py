"""Harmon reference implementation (PyTorch), converter and golden-vector writer."""
