"""The web console: server-rendered pages for customer service, store associates and operations, served
by the same process as the API, with nothing loaded from the internet."""
