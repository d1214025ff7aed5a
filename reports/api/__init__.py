"""The REST API of the desk, mounted at /api/ by `reports.api_urls`.

Parts: `authentication` (bearer tokens beside the browser session),
`permissions` (the role table of `reports.roles`, asked per action),
`errors` (one JSON error shape for every refusal), `pagination`, `filters`,
`throttling`, `schema` (what the OpenAPI document says beyond the code),
`serializers`, and `views/` (one module per kind of resource). Views call
the domain functions that the admin calls and keep no rules of their own.
"""
