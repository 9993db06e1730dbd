"""`shapelint lsp`: the language server (pygls is imported only when it starts)."""
