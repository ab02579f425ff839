"""Catalog writes, one module per job: ``products`` (create, edit, delete, publish, archive,
moderate), ``variants`` (prices, stock, digital files), ``media`` (product images), ``categories``
(staff), ``search`` (the products' search rows) and ``access`` (who may write what, shared by
the others)."""
