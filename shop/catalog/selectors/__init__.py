"""Catalog reads, permission-aware and N+1-free, one module per job: ``visibility`` (who sees
a product), ``products`` (one product, variant or image; what a product card loads), ``listing``
(the storefront's and a designer's lists: filters, sorting, search) and ``categories``."""
