"""Store replenishment: forecasting each store's daily demand of each SKU from what it sold, the stock levels
that keep its shelves within a service level until its next delivery, and the sharing of a scarce DC.

Computed for whole networks at once (a million store-SKU series): the series are the rows of numpy arrays,
and every step is a vector operation over all of them.
"""
