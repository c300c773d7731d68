"""Drawing-order optimisation for CNC batik tulis: read a drawing, order its strokes, write G-code."""
