Dear batik maker,
this is a letter, not a drawing.
