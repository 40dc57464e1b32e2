"""The display board (叫号屏)."""
