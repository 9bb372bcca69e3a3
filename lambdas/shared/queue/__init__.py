"""Queue progression: the sites and stations of the clinic days (``sites``); tickets and their
workflow come on top of them."""
