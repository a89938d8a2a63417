"""Authlib grants: authorization code (+ PKCE) and refresh token, with Salesforce's rules."""
