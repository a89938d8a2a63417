"""Token revocation (RFC 7009, Salesforce-flavoured) and introspection (RFC 7662)."""
