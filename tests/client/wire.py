"""Real Salesforce payloads, from public sources (named per constant below; docs/security.md,
section 6, lists them).

They pin the parsers to the wire format Salesforce actually sends.
"""

from __future__ import annotations

# Observed callbacks (github.com/SalesforceCommerceCloud/b2c-crm-sync/issues/16,
# github.com/dufoli/Salesforce-Inspector-Advanced/issues/291, and a decoded code from
# github.com/gravityplus/Gravity-Forms-Salesforce/issues/272); codes are URL-encoded and
# end in %3D%3D or %3D (Salesforce Help says to URL-decode the code).
CODE_ENCODED = ("aPrxGfV7WpWWFnEHqst_Stl_FyuCAgbsneQ6zSM2DJPi228_A_tXCg8ztb1cPKimwp8ENHaGvg"
                "%3D%3D")
CODE_DECODED = "aPrxGfV7WpWWFnEHqst_Stl_FyuCAgbsneQ6zSM2DJPi228_A_tXCg8ztb1cPKimwp8ENHaGvg=="
CODE_ONE_PAD_ENCODED = ("aPrxsFoCW6g04LBqyud5JHoXzmp29bW_q4KQhQd1LDjtdh9oqVHqUlCyuE4FC7talBL6U"
                        "SF7pF_GHqKZugIWMLXc73NaZ8A%3D")
CODE_WITH_DOT = "aPrx82nMYNwxhssbu18miXqdGJ2xZVN4oT2tFg_2QqhFseIQiY8SEUVlSVeEeTiEq1fPkRo.ag=="

# The denial redirect (form-encoded spaces), as observed in public code that talks to
# Salesforce (error code: Salesforce Help, "OAuth 2.0 Authorization Errors").
DENIED_QUERY = "error=access_denied&error_description=end-user+denied+authorization"

# The docs-style token response (Salesforce's documentation sample values, as copied in
# gist.github.com/dieffrei/8d95709f6d9f8dc93a7d19faaa5cd2ec; signature verified below with a
# known secret).
TOKEN_RESPONSE_DOCS = {
    "id": "https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P",
    "issued_at": "1278448832702",
    "instance_url": "https://yourInstance.salesforce.com/",
    "signature": "0CmxinZir53Yex7nE0TD+zMpvIWYGb/bdJh6XfOH6EQ=",
    "access_token": ("00Dx0000000BV7z!AR8AQAxo9UfVkh8AlV0Gomt9Czx9LjHnSSpwBMmbRcgKFmxOtvxjTrKW1"
                     "9ye6PE3Ds1eQz3z8jr3W7_VbWmEu4Q8TVGSTHxs"),
}

# Token error bodies, all HTTP 400, as observed (e.g. github.com/omniphx/forrest/issues/169,
# /184, /145; github.com/restforce/restforce/issues/338, /81).
TOKEN_ERRORS = {
    "reused_code": {"error": "invalid_grant", "error_description": "expired authorization code"},
    "auth_failure": {"error": "invalid_grant", "error_description": "authentication failure"},
    "unknown_client": {"error": "invalid_client_id",
                       "error_description": "client identifier invalid"},
    "wrong_secret": {"error": "invalid_client", "error_description": "invalid client credentials"},
    "redirect": {"error": "redirect_uri_mismatch",
                 "error_description": "redirect_uri must match configuration"},
    "grant_type": {"error": "unsupported_grant_type",
                   "error_description": "grant type not supported"},
    "refresh_expired": {"error": "invalid_grant",
                        "error_description": "expired access/refresh token"},
}

# Refresh response shape (no refresh_token unless rotation is on): REST API Developer
# Guide, "Understanding the OAuth Refresh Token Process"; Salesforce Help, refresh token flow.
REFRESH_RESPONSE_KEYS = ["access_token", "signature", "scope", "instance_url", "id",
                         "token_type", "issued_at"]

# REST call with an expired token (REST API Developer Guide, "Status Codes and Error
# Responses").
EXPIRED_SESSION_BODY = [{"message": "Session expired or invalid",
                         "errorCode": "INVALID_SESSION_ID"}]
