"""The synthetic shapes world of the embedded default, and ShapesEval.

world     scenes (shapes, colours, sizes, places), rendering, GenEval's position rule
captions  GenEval-style captions and metadata, scenes for a caption, questions and answers
splits    held-out compositions, the training stream, the held-out evaluation prompts and VQA
detect    colour segmentation + shape classification of images of this world
score     GenEval's rules on the detections, VQA accuracy, the report (python -m shapes.score)
"""
