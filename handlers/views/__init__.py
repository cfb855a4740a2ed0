"""Presentation shared by the routers of one feature: texts, keyboards, form steps.

Routers never import each other; what two of them show alike lives here, one module per
feature. No router is defined here.
"""
