"""The Streamlit web app: classify a photo, keep a history, browse the motifs, optimise a CNC drawing.

``batik app`` serves it; ``main.py`` is the router and ``views/`` holds one file per page.
"""
