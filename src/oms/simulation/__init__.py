"""A retail day, simulated through the real service: customers ask the promise and order, nodes accept, pick
and ship, carriers deliver, customers collect and send back, on a copy of the retailer's data, with the
service's clock driven by the simulation (``oms simulate``)."""
